/* nearby.js: the rider's page. Takes the position from the URL (?lon=&lat=&crs=), the browser, or a tap on
 * the map; asks the nearest API; lists the answers as cards (distance, open now, amenities, how to get in,
 * navigation) beside numbered markers. Filters: kind, amenities, open now. */
(function () {
  'use strict';
  var GM = window.GeoMaps, el = GM.el, icon = GM.icon;
  var FIRST_AMENITIES = ['hot_water', 'toilet', 'phone_charging', 'ebike_charging', 'microwave', 'air_conditioning'];

  function chip(text, pressed, onToggle, iconName) {
    var button = el('button', 'gm-chip');
    button.type = 'button';
    if (iconName) button.append(icon(iconName), ' ');
    button.append(text);
    button.setAttribute('aria-pressed', String(pressed));
    button.addEventListener('click', function () {
      var on = button.getAttribute('aria-pressed') !== 'true';
      button.setAttribute('aria-pressed', String(on));
      onToggle(on, button);
    });
    return button;
  }

  GM.nearby = function (map, cfg) {
    var state = GM.state(), S = state.S, sym = state.cfg.symbols;
    var panel = document.getElementById('gm-panel');
    var filters = {kinds: cfg.kinds.slice(), amenities: cfg.amenities.slice(), open_now: cfg.open_now};
    var origin = cfg.origin, results = L.layerGroup().addTo(map), rider = null, controller = null;

    var head = el('div', 'gm-nb-head');
    var locate = el('button', 'gm-btn gm-btn-primary');
    locate.type = 'button';
    locate.append(icon('location-crosshairs'), ' ', S.use_location);
    head.append(locate, el('span', 'gm-nb-hint', S.pick_on_map));

    var kindRow = el('div', 'gm-chips gm-chips-scroll');
    kindRow.setAttribute('role', 'group');
    Object.keys(sym.kinds).forEach(function (code) {
      kindRow.append(chip(sym.kinds[code].label, filters.kinds.indexOf(code) >= 0, function (on) {
        filters.kinds = filters.kinds.filter(function (k) { return k !== code; }).concat(on ? [code] : []);
        search();
      }, sym.kinds[code].icon));
    });
    var amenityRow = el('div', 'gm-chips gm-chips-scroll');
    amenityRow.setAttribute('aria-label', S.amenities);
    amenityRow.append(chip(S.open_now, filters.open_now, function (on) { filters.open_now = on; search(); }, 'clock'));
    var codes = FIRST_AMENITIES.concat(Object.keys(sym.amenities).filter(function (c) { return FIRST_AMENITIES.indexOf(c) < 0; }));
    codes.forEach(function (code) {
      amenityRow.append(chip(sym.amenities[code].label, filters.amenities.indexOf(code) >= 0, function (on) {
        filters.amenities = filters.amenities.filter(function (a) { return a !== code; }).concat(on ? [code] : []);
        search();
      }, sym.amenities[code].icon));
    });
    var status = el('p', 'gm-nb-status');
    status.setAttribute('role', 'status');
    var list = el('ol', 'gm-results');
    panel.append(head, kindRow, amenityRow, status, list);

    function query() {
      var params = new URLSearchParams({lon: String(origin.lon), lat: String(origin.lat), crs: origin.crs, limit: String(cfg.limit)});
      filters.kinds.forEach(function (k) { params.append('kind', k); });
      filters.amenities.forEach(function (a) { params.append('amenity', a); });
      if (filters.open_now) params.set('open_now', 'true');
      return params;
    }

    function search() {
      if (!origin) return;
      if (controller) controller.abort();
      controller = new AbortController();
      status.textContent = S.loading;
      var params = query();
      history.replaceState(null, '', '?' + new URLSearchParams(Array.from(params.entries()).concat([['lang', state.cfg.lang]])).toString());
      fetch(state.cfg.api.nearest + '?' + params.toString() + '&lang=' + state.cfg.lang, {signal: controller.signal})
        .then(function (r) {
          return r.json().then(function (body) {
            if (!r.ok) throw GM.apiError(body, r.status);
            return body;
          }, function () { throw GM.apiError(null, r.status); });
        })
        .then(show)
        .catch(function (e) { if (e.name !== 'AbortError') { status.textContent = GM.failText(e); list.replaceChildren(); } });
    }

    function show(body) {
      results.clearLayers();
      list.replaceChildren();
      var here = GM.toDisplay(body.query.lon, body.query.lat), points = [here];
      if (rider) map.removeLayer(rider);
      rider = L.circleMarker(here, {radius: 8, color: '#fff', weight: 3, fillColor: '#1565c0', fillOpacity: 1})
        .bindTooltip(el('span', null, S.you_are_here)).addTo(map);
      status.textContent = body.features.length ? S.results : S.none_found;
      body.features.forEach(function (f, i) {
        var c = f.geometry.coordinates, at = GM.toDisplay(c[0], c[1]), p = f.properties;
        var marker = L.marker(at, {icon: GM.markerIcon(p.kind, String(i + 1)), title: p.name, alt: p.name}).addTo(results);
        var item = el('li', 'gm-result');
        item.dataset.id = String(p.id);
        var number = el('span', 'gm-result-number', i + 1);
        item.append(number, GM.card(p, c, {distance: p.distance_m}));
        item.addEventListener('click', function (e) {
          if (e.target.closest('a')) return;
          map.setView(at, Math.max(map.getZoom(), 15));
          select(item);
        });
        marker.on('click', function () { select(item); item.scrollIntoView({behavior: 'smooth', block: 'nearest'}); });
        list.append(item);
        points.push(at);
      });
      map.fitBounds(points, {padding: [24, 24], maxZoom: 16, animate: false});
      document.body.dataset.loaded = String(Date.now());
    }

    function select(item) {
      Array.prototype.forEach.call(list.children, function (other) { other.classList.toggle('gm-selected', other === item); });
    }

    function useBrowser() {
      if (!navigator.geolocation) { status.textContent = S.locate_failed; return; }
      status.textContent = S.locating;
      navigator.geolocation.getCurrentPosition(function (pos) {
        origin = {lon: pos.coords.longitude, lat: pos.coords.latitude, crs: 'wgs84'};
        search();
      }, function () { status.textContent = S.locate_failed; }, {enableHighAccuracy: true, timeout: 10000, maximumAge: 60000});
    }

    locate.addEventListener('click', useBrowser);
    // a tap on the map is in the basemap's coordinates, which the nearest API accepts as they are
    map.on('click', function (e) {
      origin = {lon: e.latlng.lng, lat: e.latlng.lat, crs: state.cfg.crs};
      search();
    });
    var first = document.getElementById('gm-first-nearest'); // the answer for the URL's position, in the page
    if (origin && first) Promise.resolve(JSON.parse(first.textContent)).then(show); // after GM.ready's framing
    else if (origin) search(); else useBrowser();
  };
})();
