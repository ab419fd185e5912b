/* facility.js: the facility form's live parts — the pin (drag it, or click the map), coordinates typed or
 * pasted in WGS-84 / GCJ-02 / BD-09 (the server converts them and says which district they fall in), and
 * the opening-hours check with its preview in words. Nothing is validated here: the server answers. */
(function () {
  'use strict';
  var C = window.Console;

  function setupHours() {
    var input = document.getElementById('f-opening_hours'), out = document.getElementById('hours-preview');
    if (!input || !out) return;
    var check = C.debounce(function () {
      var url = out.dataset.url + (out.dataset.url.indexOf('?') < 0 ? '?' : '&') + 'value=' + encodeURIComponent(input.value);
      C.getJSON(url).then(function (answer) {
        out.textContent = answer.text;
        out.className = 'hours-preview ' + (answer.valid ? 'ok' : 'bad');
        out.dataset.valid = answer.valid ? '1' : '0';
      });
    }, 250);
    input.addEventListener('input', check);
  }

  function setupPin() {
    var node = document.getElementById('pin-map');
    if (!node) return;
    var state = C.makeMap(node), map = state.map;
    var lon = document.getElementById('f-lon'), lat = document.getElementById('f-lat'), crs = document.getElementById('f-crs');
    var info = document.getElementById('point-info');
    var marker = null;
    var editable = !lon.disabled && !lon.closest('fieldset[disabled]');

    function place(at) {
      if (!marker) {
        marker = L.marker(at, {draggable: editable, autoPan: true, keyboard: true, title: node.getAttribute('aria-label'), alt: node.getAttribute('aria-label')});
        marker.addTo(map);
        marker.on('dragend', function () { moved(marker.getLatLng()); });
      } else {
        marker.setLatLng(at);
      }
    }
    function moved(latlng) {
      lon.value = latlng.lng.toFixed(7);
      lat.value = latlng.lat.toFixed(7);
      crs.value = state.cfg.crs; // a dragged pin speaks the basemap's coordinates
      locate(false);
    }
    var locate = function (movePin) {
      if (!lon.value || !lat.value) { info.textContent = ''; return; }
      var url = info.dataset.url + (info.dataset.url.indexOf('?') < 0 ? '?' : '&') +
        'lon=' + encodeURIComponent(lon.value) + '&lat=' + encodeURIComponent(lat.value) + '&crs=' + encodeURIComponent(crs.value);
      C.getJSON(url).then(function (p) {
        if (movePin) { place(p.at); map.panTo(p.at); }
        var names = p.districts.map(function (d) { return d.name; }).join('、');
        info.textContent = (names ? info.dataset.inside.split('{names}').join(names) : info.dataset.outside) +
          ' · WGS-84 ' + p.lon.toFixed(6) + ', ' + p.lat.toFixed(6);
        info.className = 'point-info ' + (names ? 'ok' : 'bad');
        node.dataset.located = String(Date.now());
      }).catch(function () { info.textContent = info.dataset.invalid; info.className = 'point-info bad'; });
    };
    var typed = C.debounce(function () { locate(true); }, 350);
    [lon, lat].forEach(function (input) { input.addEventListener('input', typed); });
    crs.addEventListener('change', function () { locate(true); });

    if (node.dataset.pin) {
      var at = JSON.parse(node.dataset.pin);
      place(at);
      map.setView(at, 14);
      locate(false);
    }
    if (editable) map.on('click', function (e) { place(e.latlng); moved(e.latlng); });
    document.body.classList.add('cm-map-ready');
  }

  document.addEventListener('DOMContentLoaded', function () { setupHours(); setupPin(); });
})();
