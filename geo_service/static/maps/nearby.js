/* nearby.js: the rider's (and driver's) page. Takes the position from the URL (?lon=&lat=&crs=), the browser,
 * or a tap on the map (confirmed first); asks the nearest API within a radius (the mode's, 扩大范围 doubles
 * it); lists the answers as cards, open ones first, beside numbered markers, and keeps the rider and the
 * first results in view.
 *
 * Filters: the four amenities the mode's users ask first as chips, the rest (and the kinds) in the 更多
 * sheet; the active ones always shown above the list with 清除. The travel mode (ride/drive) goes into
 * the API query, so every navigation link the API builds carries it. */
(function () {
  'use strict';
  var GM = window.GeoMaps, el = GM.el, icon = GM.icon;
  var FIT_FIRST = 3; // the map frames the rider and this many results
  var ORDER = {open: 0, unknown: 1, closed: 2};
  var MODES = ['ride', 'drive'];

  function button(cls, text, iconName) {
    var b = el('button', cls);
    b.type = 'button';
    if (iconName) b.append(icon(iconName), ' ');
    b.append(text);
    return b;
  }

  function fill(template, values) {
    return Object.keys(values).reduce(function (text, key) { return text.split('{' + key + '}').join(values[key]); }, template);
  }

  /** A bottom sheet (a modal dialog): `build(body)` fills it; returns {open, close, node}. */
  function sheet(title, closeText, build) {
    var backdrop = el('div', 'gm-sheet-backdrop gm-hidden');
    var box = el('div', 'gm-sheet');
    box.setAttribute('role', 'dialog');
    box.setAttribute('aria-modal', 'true');
    var heading = el('h2', 'gm-sheet-title', title);
    heading.id = 'gm-sheet-' + Math.random().toString(36).slice(2);
    box.setAttribute('aria-labelledby', heading.id);
    var body = el('div', 'gm-sheet-body');
    box.append(heading, body);
    backdrop.append(box);
    document.body.append(backdrop);
    var opener = null, api = {node: box, body: body, onClose: null};
    api.open = function (from) {
      opener = from || document.activeElement;
      backdrop.classList.remove('gm-hidden');
      var first = box.querySelector('button');
      if (first) first.focus();
    };
    api.close = function () {
      if (backdrop.classList.contains('gm-hidden')) return;
      backdrop.classList.add('gm-hidden');
      if (api.onClose) api.onClose();
      if (opener && opener.focus) opener.focus();
    };
    backdrop.addEventListener('click', function (e) { if (e.target === backdrop) api.close(); });
    box.addEventListener('keydown', function (e) { if (e.key === 'Escape') api.close(); });
    build(body, api);
    if (closeText) {
      var done = button('gm-btn gm-btn-primary gm-sheet-done', closeText);
      done.addEventListener('click', api.close);
      box.append(done);
    }
    return api;
  }

  /** A radius in words: whole kilometres without decimals (5 公里, 30 公里). */
  function radiusText(metres) {
    return metres >= 1000 && metres % 1000 === 0 ? metres / 1000 + ' ' + GM.state().S.kilometres : GM.formatDistance(metres);
  }

  GM.nearby = function (map, cfg) {
    var state = GM.state(), S = state.S, sym = state.cfg.symbols;
    var panel = document.getElementById('gm-panel');
    var filters = {kinds: cfg.kinds.slice(), amenities: cfg.amenities.slice(), open_now: cfg.open_now, mode: cfg.mode};
    var radius = cfg.radius_m, defaultRadius = cfg.radii[cfg.mode] || cfg.radius_m;
    var origin = cfg.origin, results = L.layerGroup().addTo(map), rider = null, pending = null, controller = null;
    var chips = []; // every filter chip: {node, kind: 'amenity'|'kind'|'open', code}

    function label(kind, code) {
      if (kind === 'open') return S.open_now;
      return (kind === 'kind' ? sym.kinds[code] : sym.amenities[code]).label;
    }
    function isOn(kind, code) {
      if (kind === 'open') return filters.open_now;
      return (kind === 'kind' ? filters.kinds : filters.amenities).indexOf(code) >= 0;
    }
    function toggle(kind, code, on) {
      if (kind === 'open') filters.open_now = on;
      else {
        var key = kind === 'kind' ? 'kinds' : 'amenities';
        filters[key] = filters[key].filter(function (c) { return c !== code; }).concat(on ? [code] : []);
      }
      sync();
      search();
    }
    function chip(kind, code, iconName) {
      var node = button('gm-chip', label(kind, code), iconName);
      node.dataset.filter = kind;
      if (code) node.dataset.code = code;
      node.addEventListener('click', function () { toggle(kind, code, !isOn(kind, code)); });
      chips.push({node: node, kind: kind, code: code});
      return node;
    }

    // the head: position, mode, first chips; the active filters below it stay on screen as the list scrolls
    var head = el('div', 'gm-nb-head');
    var locate = button('gm-btn gm-btn-primary gm-nb-locate', S.use_location, 'location-crosshairs');
    var modes = el('div', 'gm-modes');
    modes.setAttribute('role', 'group');
    modes.setAttribute('aria-label', S.travel_mode);
    MODES.forEach(function (mode) {
      var b = button('gm-mode', S['mode_' + mode]);
      b.dataset.mode = mode;
      b.addEventListener('click', function () { setMode(mode); });
      modes.append(b);
    });
    var top = el('div', 'gm-nb-top');
    top.append(locate, modes);
    var firstRow = el('div', 'gm-chips gm-chips-first');
    firstRow.setAttribute('role', 'group');
    firstRow.setAttribute('aria-label', S.amenities);
    var more = button('gm-chip gm-chip-more', S.more_filters, null);
    more.setAttribute('aria-haspopup', 'dialog');
    more.dataset.filter = 'more';
    var active = el('div', 'gm-active');
    active.setAttribute('aria-live', 'polite');
    head.append(top, el('p', 'gm-nb-hint', S.pick_on_map), firstRow);

    var moreSheet = sheet(S.more_title, S.done, function (body) {
      var kindsBox = el('div', 'gm-chips');
      kindsBox.setAttribute('role', 'group');
      kindsBox.setAttribute('aria-label', S.kinds);
      Object.keys(sym.kinds).forEach(function (code) { kindsBox.append(chip('kind', code, sym.kinds[code].icon)); });
      var amenityBox = el('div', 'gm-chips gm-sheet-amenities');
      amenityBox.setAttribute('role', 'group');
      amenityBox.setAttribute('aria-label', S.amenities);
      body.append(el('h3', 'gm-sheet-sub', S.kinds), kindsBox, el('h3', 'gm-sheet-sub', S.amenities), amenityBox);
    });
    more.addEventListener('click', function () { moreSheet.open(more); });

    var status = el('p', 'gm-nb-status');
    status.setAttribute('role', 'status');
    var heading = el('h2', 'gm-sr-only', S.results_heading);
    var list = el('ol', 'gm-results');
    var wider = button('gm-btn gm-nb-wider', '', null);
    wider.addEventListener('click', function () {
      radius = Math.min(radius * 2, cfg.max_radius_m);
      search();
    });
    panel.append(head, active, status, wider, heading, list);

    /** The first chips of the mode, and the rest of the amenities in the sheet. */
    function layoutChips() {
      var first = cfg.first_amenities[filters.mode] || cfg.first_amenities.ride;
      chips = chips.filter(function (c) { return c.kind === 'kind'; });
      firstRow.replaceChildren(chip('open', null, 'clock'));
      first.forEach(function (code) { firstRow.append(chip('amenity', code, sym.amenities[code].icon)); });
      firstRow.append(more);
      var box = moreSheet.body.querySelector('.gm-sheet-amenities');
      box.replaceChildren();
      Object.keys(sym.amenities).filter(function (c) { return first.indexOf(c) < 0; }).forEach(function (code) {
        box.append(chip('amenity', code, sym.amenities[code].icon));
      });
    }

    function setMode(mode) {
      if (mode === filters.mode) return;
      filters.mode = mode;
      radius = defaultRadius = cfg.radii[mode] || cfg.radii.ride;
      layoutChips();
      sync();
      search();
    }

    /** Pressed states, the 更多 count and the always-visible list of active filters. */
    function sync() {
      chips.forEach(function (c) { c.node.setAttribute('aria-pressed', String(isOn(c.kind, c.code))); });
      Array.prototype.forEach.call(modes.children, function (b) { b.setAttribute('aria-pressed', String(b.dataset.mode === filters.mode)); });
      var on = (filters.open_now ? [['open', null]] : [])
        .concat(filters.amenities.map(function (c) { return ['amenity', c]; }))
        .concat(filters.kinds.map(function (c) { return ['kind', c]; }));
      var hidden = on.filter(function (pair) { return !firstRow.querySelector('[data-filter="' + pair[0] + '"]' + (pair[1] ? '[data-code="' + pair[1] + '"]' : '')); });
      more.replaceChildren(S.more_filters + (hidden.length ? ' · ' + hidden.length : ''));
      active.replaceChildren(el('span', 'gm-active-label', S.active_filters));
      if (!on.length) active.append(el('span', 'gm-active-none', S.no_filters));
      on.forEach(function (pair) {
        var text = label(pair[0], pair[1]);
        var remove = button('gm-active-chip', text, null);
        remove.append(' ', el('span', 'gm-active-x', '×'));
        remove.setAttribute('aria-label', fill(S.remove_filter, {f: text}));
        remove.addEventListener('click', function () { toggle(pair[0], pair[1], false); });
        active.append(remove);
      });
      var clear = button('gm-btn gm-clear', S.clear_filters, null);
      clear.disabled = !on.length;
      clear.addEventListener('click', function () {
        filters.kinds = []; filters.amenities = []; filters.open_now = false;
        radius = defaultRadius;
        sync();
        search();
      });
      active.append(clear);
    }

    function query() {
      var params = new URLSearchParams({lon: String(origin.lon), lat: String(origin.lat), crs: origin.crs, limit: String(cfg.limit)});
      filters.kinds.forEach(function (k) { params.append('kind', k); });
      filters.amenities.forEach(function (a) { params.append('amenity', a); });
      if (filters.open_now) params.set('open_now', 'true');
      params.set('mode', filters.mode);
      params.set('max_distance_m', String(radius));
      return params;
    }

    function pageUrl(params) {
      var shown = new URLSearchParams(params);
      shown.delete('limit');
      if (radius === defaultRadius) shown.delete('max_distance_m');
      if (filters.mode === 'ride') shown.delete('mode');
      shown.set('lang', state.cfg.lang);
      return '?' + shown.toString();
    }

    function search() {
      if (!origin) return;
      if (controller) controller.abort();
      controller = new AbortController();
      status.textContent = S.loading;
      var params = query();
      history.replaceState(null, '', pageUrl(params));
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

    /** Open ones first, then unknown hours, then closed; nearest first within each. */
    function ordered(features) {
      return features.map(function (f, i) { return {f: f, i: i}; }).sort(function (a, b) {
        var sa = ORDER[a.f.properties.open_state], sb = ORDER[b.f.properties.open_state];
        return (sa === undefined ? 1 : sa) - (sb === undefined ? 1 : sb) || a.i - b.i;
      }).map(function (x) { return x.f; });
    }

    function show(body) {
      results.clearLayers();
      list.replaceChildren();
      var here = GM.toDisplay(body.query.lon, body.query.lat), points = [here];
      if (rider) map.removeLayer(rider);
      if (!map.getPane('gmRider')) map.createPane('gmRider').style.zIndex = 650; // above the markers (600)
      rider = L.circleMarker(here, {radius: 9, color: '#fff', weight: 3, fillColor: '#1565c0', fillOpacity: 1, className: 'gm-rider', pane: 'gmRider'})
        .bindTooltip(el('span', null, S.you_are_here)).addTo(map);
      var r = radiusText(radius);
      status.textContent = body.features.length ? fill(S.within, {r: r, n: body.features.length}) : fill(S.none_within, {r: r});
      wider.hidden = radius >= cfg.max_radius_m;
      wider.replaceChildren(fill(S.search_wider, {r: radiusText(Math.min(radius * 2, cfg.max_radius_m))}));
      ordered(body.features).forEach(function (f, i) {
        var at = addResult(f, i);
        if (i < FIT_FIRST) points.push(at);
      });
      map.fitBounds(points, {padding: [36, 36], maxZoom: 16, animate: false});
      document.body.dataset.loaded = String(Date.now());
    }

    function addResult(f, i) {
      var c = f.geometry.coordinates, at = GM.toDisplay(c[0], c[1]), p = f.properties, closed = p.open_state === 'closed';
      var marker = L.marker(at, {icon: GM.markerIcon(closed ? 'closed' : p.kind, String(i + 1)), title: p.name, alt: p.name}).addTo(results);
      var item = el('li', 'gm-result' + (closed ? ' gm-result-closed' : ''));
      item.dataset.id = String(p.id);
      item.dataset.state = p.open_state;
      item.append(el('span', 'gm-result-number', i + 1), GM.card(p, c, {distance: p.distance_m, heading: 'h3'}));
      item.addEventListener('click', function (e) {
        if (e.target.closest('a, button')) return;
        map.setView(at, Math.max(map.getZoom(), 15));
        select(item);
      });
      marker.on('click', function () { select(item); item.scrollIntoView({behavior: 'smooth', block: 'nearest'}); });
      list.append(item);
      return at;
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

    // a tap on the map proposes a new position; it moves only once confirmed
    var moveText = el('p', 'gm-sheet-text'), moveTo = null;
    var moveSheet = sheet(S.move_title, null, function (body, api) {
      var actions = el('div', 'gm-sheet-actions');
      var yes = button('gm-btn gm-btn-primary gm-move-yes', S.move_here, 'location-crosshairs');
      var no = button('gm-btn gm-move-no', S.cancel, null);
      yes.addEventListener('click', function () {
        origin = moveTo;
        api.close();
        search();
      });
      no.addEventListener('click', function () { api.close(); });
      actions.append(yes, no);
      body.append(moveText, actions);
    });
    moveSheet.node.classList.add('gm-move-sheet');
    moveSheet.onClose = function () { if (pending) { map.removeLayer(pending); pending = null; } };
    // the tap is in the basemap's coordinates, which the nearest API accepts as they are
    map.on('click', function (e) {
      moveTo = {lon: e.latlng.lng, lat: e.latlng.lat, crs: state.cfg.crs};
      if (pending) map.removeLayer(pending);
      pending = L.circleMarker(e.latlng, {radius: 9, color: '#1565c0', weight: 3, dashArray: '4 3', fillColor: '#fff', fillOpacity: 0.8, interactive: false}).addTo(map);
      moveText.textContent = rider ? fill(S.move_distance, {d: GM.formatDistance(map.distance(rider.getLatLng(), e.latlng))}) : '';
      moveSheet.open(map.getContainer());
    });

    locate.addEventListener('click', useBrowser);
    layoutChips();
    sync();
    var first = document.getElementById('gm-first-nearest'); // the answer for the URL's position, in the page
    if (origin && first) Promise.resolve(JSON.parse(first.textContent)).then(show); // after GM.ready's framing
    else if (origin) search(); else useBrowser();
  };
})();
