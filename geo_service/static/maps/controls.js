/* controls.js: the legend with layer toggles, search by name or code, and locate-me. */
(function () {
  'use strict';
  var GM = window.GeoMaps, el = GM.el, icon = GM.icon;

  function control(position, node) {
    var c = L.control({position: position});
    c.onAdd = function () {
      L.DomEvent.disableClickPropagation(node);
      L.DomEvent.disableScrollPropagation(node);
      return node;
    };
    return c;
  }

  function legendRow(map, entry) {
    var label = el('label', 'gm-legend-row');
    var box = el('input');
    box.type = 'checkbox';
    box.checked = map.hasLayer(entry.layer);
    box.dataset.layer = entry.id;
    box.addEventListener('change', function () {
      if (box.checked) map.addLayer(entry.layer); else map.removeLayer(entry.layer);
      if (entry.toggle) entry.toggle(box.checked);
    });
    var swatch = el('span', 'gm-swatch');
    if (entry.swatch) swatch.style.background = entry.swatch;
    if (entry.icon) swatch.append(icon(entry.icon));
    var count = entry.count ? entry.count() : null;
    label.append(box, swatch, el('span', 'gm-legend-title', entry.title));
    if (count !== null && count !== undefined) label.append(el('span', 'gm-legend-count', count));
    return label;
  }

  GM.legend = function (map) {
    var state = GM.state();
    if (!state.overlays.length) return;
    var details = el('details', 'gm-legend leaflet-bar');
    details.open = state.cfg.chrome !== 'embed' && window.innerWidth >= 640;
    var summary = el('summary');
    summary.append(icon('layer-group'), ' ', state.S.layers);
    details.append(summary);
    state.overlays.forEach(function (entry) {
      details.append(legendRow(map, entry));
      (entry.legend || []).forEach(function (pair) {
        var bin = el('div', 'gm-legend-bin');
        var swatch = el('span', 'gm-swatch gm-swatch-fill');
        swatch.style.background = pair[0];
        bin.append(swatch, el('span', null, pair[1]));
        details.append(bin);
      });
    });
    control('topright', details).addTo(map);
  };

  GM.tools = function (map) {
    var state = GM.state();
    if (state.facilities) control('topleft', searchBox(map)).addTo(map);
    control('topleft', locateButton(map)).addTo(map);
  };

  function searchBox(map) {
    var state = GM.state(), layer = state.facilities, S = state.S;
    var form = el('form', 'gm-search leaflet-bar');
    form.setAttribute('role', 'search');
    var input = el('input');
    input.type = 'search';
    input.placeholder = S.search;
    input.setAttribute('aria-label', S.search);
    var results = el('ul', 'gm-search-results');
    form.append(icon('magnifying-glass'), input, results);
    var timer = null;
    function list(hits) {
      results.replaceChildren();
      if (!hits.length && input.value.trim()) results.append(el('li', 'gm-search-empty', S.no_results));
      hits.slice(0, 8).forEach(function (hit) {
        var item = el('li'), button = el('button', 'gm-search-hit');
        button.type = 'button';
        button.append(el('strong', null, hit.name), el('small', null, hit.code));
        button.addEventListener('click', function (e) {
          // the map must not see this click: the button is gone when it bubbles, and a map click closes popups
          L.DomEvent.stop(e);
          results.replaceChildren();
          hit.go();
        });
        item.append(button);
        results.append(item);
      });
    }
    function local(text) {
      var needle = text.toLowerCase();
      return state.searchIndex.filter(function (e) {
        return [e.p.name, e.p.code, e.p.address].some(function (v) { return v && String(v).toLowerCase().indexOf(needle) >= 0; });
      }).map(function (e) { return {name: e.p.name, code: e.p.code, go: function () { GM.reveal(e); }}; });
    }
    function remote(text) {
      var params = new URLSearchParams({q: text, limit: '8'});
      ['open', 'temporarily_closed'].forEach(function (s) { params.append('status', s); });
      fetch(state.cfg.api.search + '?' + params.toString())
        .then(function (r) { return r.ok ? r.json() : {features: []}; })
        .then(function (body) {
          list(body.features.map(function (f) {
            var c = f.geometry.coordinates;
            return {name: f.properties.name, code: f.properties.code, go: function () {
              layer.pending = f.properties.id;
              map.setView(GM.toDisplay(c[0], c[1]), 16);
            }};
          }));
        });
    }
    input.addEventListener('input', function () {
      clearTimeout(timer);
      var text = input.value.trim();
      if (!text) { list([]); return; }
      timer = setTimeout(function () { if (layer.cfg.features) list(local(text)); else remote(text); }, 150);
    });
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      var first = results.querySelector('button');
      if (first) first.click();
    });
    return form;
  }

  function locateButton(map) {
    var state = GM.state(), S = state.S, marker = null;
    var bar = el('div', 'gm-locate leaflet-bar'), button = el('button', 'gm-locate-button');
    button.type = 'button';
    button.title = S.locate;
    button.setAttribute('aria-label', S.locate);
    button.append(icon('location-crosshairs'));
    bar.append(button);
    button.addEventListener('click', function () {
      if (!navigator.geolocation) return GM.toast(S.locate_failed);
      GM.toast(S.locating);
      navigator.geolocation.getCurrentPosition(function (pos) {
        var lon = pos.coords.longitude, lat = pos.coords.latitude, at = GM.toDisplay(lon, lat);
        if (marker) map.removeLayer(marker);
        marker = L.circleMarker(at, {radius: 8, color: '#fff', weight: 3, fillColor: '#1565c0', fillOpacity: 1}).addTo(map);
        var popup = el('div', 'gm-here');
        popup.append(el('strong', null, S.you_are_here));
        if (state.cfg.api.nearby_page) {
          var params = new URLSearchParams({lon: lon.toFixed(6), lat: lat.toFixed(6), crs: 'wgs84'});
          var a = el('a', 'gm-btn', S.nearby_link);
          a.href = state.cfg.api.nearby_page + '&' + params.toString();
          popup.append(a);
        }
        marker.bindPopup(popup).openPopup();
        map.setView(at, Math.max(map.getZoom(), 14));
        GM.toast(null);
      }, function () { GM.toast(S.locate_failed); }, {enableHighAccuracy: true, timeout: 10000, maximumAge: 60000});
    });
    return bar;
  }

  /** A short message over the map (null hides it). */
  GM.toast = function (text) {
    var state = GM.state();
    if (!state.toast) {
      state.toast = el('div', 'gm-toast');
      state.toast.setAttribute('role', 'status');
      state.map.getContainer().append(state.toast);
    }
    state.toast.textContent = text || '';
    state.toast.classList.toggle('gm-hidden', !text);
  };
})();
