/* route.js: the driver's page. A route is pasted (GeoJSON LineString, encoded polyline, GPX, or
 * lon,lat;lon,lat…, in the chosen coordinate system), read from a GPX file, or drawn by tapping the map
 * (written into the text box in the basemap's coordinates); the along-route API answers with the stations
 * within the chosen distance of it, in the order met, listed with how far along, how far off and on which
 * side, with navigation links. Every text from the user or the data reaches the page as DOM text. */
(function () {
  'use strict';
  var GM = window.GeoMaps, el = GM.el, icon = GM.icon;
  var CRS = ['wgs84', 'gcj02', 'bd09'];

  function labelled(text, control, cls) {
    var label = el('label', cls || 'gm-rt-field');
    label.append(el('span', 'gm-rt-label', text), control);
    return label;
  }

  function button(text, iconName, cls) {
    var b = el('button', 'gm-btn ' + (cls || ''));
    b.type = 'button';
    b.append(icon(iconName), ' ', text);
    return b;
  }

  /* The route as the API takes it: GeoJSON text becomes its LineString (a Feature's or a collection's
   * first), anything else is sent as written (polyline, GPX, lon,lat pairs: the server reads them). */
  function routeValue(text) {
    var trimmed = text.trim();
    if (trimmed.charAt(0) !== '{') return trimmed;
    try {
      var json = JSON.parse(trimmed);
      if (json.type === 'Feature') return json.geometry;
      if (json.type === 'FeatureCollection') {
        var line = (json.features || []).filter(function (f) { return f.geometry && f.geometry.type === 'LineString'; })[0];
        return line ? line.geometry : json;
      }
      return json;
    } catch (e) {
      return trimmed; // the server names what is wrong with it
    }
  }

  GM.route = function (map, cfg) {
    var state = GM.state(), S = state.S;
    var panel = document.getElementById('gm-panel');
    var drawn = [], drawing = false, controller = null;
    var sketch = L.polyline([], {color: '#6a1b9a', weight: 4, dashArray: '6 6', interactive: false}).addTo(map);
    var results = L.layerGroup().addTo(map);

    var form = el('form', 'gm-rt-form');
    form.noValidate = true;
    var text = el('textarea', 'gm-rt-text');
    text.id = 'gm-route-text';
    text.rows = 4;
    text.placeholder = S.route_placeholder;
    text.spellcheck = false;
    var file = el('input', 'gm-rt-file');
    file.type = 'file';
    file.accept = '.gpx,application/gpx+xml,application/xml,text/xml';
    var crs = el('select', 'gm-rt-select');
    crs.id = 'gm-route-crs';
    CRS.forEach(function (code) {
      var option = el('option', null, S['crs_' + code]);
      option.value = code;
      crs.append(option);
    });
    var buffer = el('input', 'gm-rt-number');
    buffer.id = 'gm-route-buffer';
    buffer.type = 'number';
    buffer.min = '50';
    buffer.max = String(cfg.max_buffer_m);
    buffer.step = '50';
    buffer.value = String(cfg.buffer_m);
    buffer.inputMode = 'numeric';
    var draw = button(S.route_draw, 'pen', 'gm-rt-draw');
    draw.setAttribute('aria-pressed', 'false');
    var clear = button(S.route_clear, 'eraser', 'gm-rt-clear');
    var search = button(S.route_search, 'magnifying-glass', 'gm-btn-primary gm-rt-search');
    search.type = 'submit';
    var options = el('div', 'gm-rt-row');
    options.append(labelled(S.route_crs, crs), labelled(S.route_buffer, buffer));
    var actions = el('div', 'gm-rt-row gm-rt-actions');
    actions.append(draw, clear, search);
    form.append(labelled(S.route_paste, text, 'gm-rt-field gm-rt-wide'), labelled(S.route_file, file, 'gm-rt-field gm-rt-wide'),
      options, actions);
    var hint = el('p', 'gm-nb-hint gm-rt-hint', S.route_drawing);
    hint.hidden = true;
    var status = el('p', 'gm-nb-status');
    status.setAttribute('role', 'status');
    var summary = el('p', 'gm-rt-summary');
    var list = el('ol', 'gm-results');
    var credit = el('p', 'gm-rt-credit', S.osm_credit);
    credit.hidden = true;
    panel.append(form, hint, status, summary, list, credit);

    function setDrawing(on) {
      drawing = on;
      draw.setAttribute('aria-pressed', String(on));
      hint.hidden = !on;
      map.getContainer().classList.toggle('gm-rt-drawing', on);
    }

    draw.addEventListener('click', function () { setDrawing(!drawing); });
    clear.addEventListener('click', function () {
      drawn = [];
      sketch.setLatLngs([]);
      text.value = '';
      file.value = '';
      results.clearLayers();
      list.replaceChildren();
      summary.textContent = '';
      status.textContent = '';
      credit.hidden = true;
    });
    // a tap is in the basemap's coordinates: the text box says so, and the API shifts it
    map.on('click', function (e) {
      if (!drawing) return;
      drawn.push([e.latlng.lng, e.latlng.lat]);
      sketch.addLatLng(e.latlng);
      text.value = drawn.map(function (p) { return p[0].toFixed(6) + ',' + p[1].toFixed(6); }).join(';');
      crs.value = state.cfg.crs;
    });
    text.addEventListener('input', function () { drawn = []; sketch.setLatLngs([]); });
    file.addEventListener('change', function () {
      var chosen = file.files && file.files[0];
      if (!chosen) return;
      chosen.text().then(function (content) {
        text.value = content;
        drawn = [];
        sketch.setLatLngs([]);
        crs.value = 'wgs84'; // GPX is WGS-84 by definition
      });
    });
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      find();
    });

    function find() {
      if (!text.value.trim() || (drawn.length === 1 && text.value.indexOf(';') < 0)) {
        status.textContent = S.route_need_points;
        return;
      }
      setDrawing(false);
      if (controller) controller.abort();
      controller = new AbortController();
      status.textContent = S.loading;
      var body = {
        route: routeValue(text.value),
        crs: crs.value,
        buffer_m: Number(buffer.value) || cfg.buffer_m,
        kind: cfg.kinds,
        limit: cfg.limit,
        include_route: true,
        lang: state.cfg.lang
      };
      fetch(state.cfg.api.along_route, {
        method: 'POST',
        headers: {'Content-Type': 'application/json'},
        body: JSON.stringify(body),
        signal: controller.signal
      })
        .then(function (r) {
          return r.json().then(function (answer) {
            if (!r.ok) throw GM.apiError(answer, r.status);
            return answer;
          }, function () { throw GM.apiError(null, r.status); });
        })
        .then(show)
        .catch(function (err) {
          if (err.name === 'AbortError') return;
          status.textContent = GM.failText(err);
          status.scrollIntoView({block: 'nearest'});
          list.replaceChildren();
          results.clearLayers();
          summary.textContent = '';
        });
    }

    function show(body) {
      results.clearLayers();
      list.replaceChildren();
      sketch.setLatLngs([]);
      var line = body.route.coordinates.map(function (c) { return GM.toDisplay(c[0], c[1]); });
      var points = line.slice();
      L.polyline(line, {color: '#6a1b9a', weight: 5, opacity: 0.85, interactive: false}).addTo(results);
      L.circleMarker(line[0], {radius: 8, color: '#fff', weight: 3, fillColor: '#6a1b9a', fillOpacity: 1})
        .bindTooltip(el('span', null, S.route_start)).addTo(results);
      summary.textContent = S.route_summary.split('{length}').join(GM.formatDistance(body.route.length_m))
        .split('{points}').join(String(body.route.points));
      status.textContent = body.features.length ? S.route_results : S.route_none;
      credit.hidden = !body.attribution;
      body.features.forEach(function (f, i) {
        var c = f.geometry.coordinates, at = GM.toDisplay(c[0], c[1]), p = f.properties;
        var marker = L.marker(at, {icon: GM.markerIcon(p.kind, String(i + 1)), title: p.name, alt: p.name}).addTo(results);
        var item = el('li', 'gm-result');
        item.dataset.id = String(p.id);
        item.dataset.alongM = String(p.along_m);
        var card = GM.card(p, c);
        var where = el('p', 'gm-rt-where');
        where.append(
          el('span', 'gm-rt-along', S.route_along.split('{d}').join(GM.formatDistance(p.along_m))),
          el('span', 'gm-rt-offset', S.route_offset.split('{d}').join(GM.formatDistance(p.offset_m))),
          el('span', 'gm-rt-side gm-rt-side-' + (p.side === 'left' ? 'left' : 'right'), p.side === 'left' ? S.side_left : S.side_right)
        );
        card.insertBefore(where, card.children[2] || null);
        item.append(el('span', 'gm-result-number', i + 1), card);
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
      status.scrollIntoView({block: 'start'}); // on a phone the list is below the form
      document.body.dataset.loaded = String(Date.now());
    }

    function select(item) {
      Array.prototype.forEach.call(list.children, function (other) { other.classList.toggle('gm-selected', other === item); });
    }
  };
})();
