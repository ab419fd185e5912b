/* mapbase.js: a Leaflet map as the console's pages use it — the configured basemap (none, OSM, Tianditu,
 * Amap), the county outlines, and facility markers whose popups are built from DOM text nodes. */
(function () {
  'use strict';
  var C = window.Console;
  var CENTRE = [37.38, 117.97]; // Binzhou, when there is nothing to fit

  C.makeMap = function (node) {
    var cfg = JSON.parse(node.dataset.map);
    var map = L.map(node, {zoomControl: true, attributionControl: true});
    map.attributionControl.setPrefix(false);
    cfg.tiles.forEach(function (t) {
      L.tileLayer(t.url, {attribution: t.attribution, subdomains: t.subdomains, maxZoom: t.maxZoom, errorTileUrl: t.errorTileUrl}).addTo(map);
    });
    L.control.scale({imperial: false}).addTo(map);
    map.setView(CENTRE, 9);
    var outlines = L.featureGroup().addTo(map);
    var ready = C.getJSON(cfg.districts).then(function (fc) {
      L.geoJSON(fc, {
        interactive: false,
        style: {color: '#37474f', weight: 1.5, opacity: 0.8, fill: false, dashArray: '4 3'},
        onEachFeature: function (f) {
          L.tooltip({permanent: true, direction: 'center', className: 'cm-district-label', interactive: false})
            .setLatLng(f.properties.label).setContent(C.el('span', null, f.properties.name)).addTo(outlines);
        },
      }).addTo(outlines);
      return outlines;
    }).catch(function () { return outlines; });
    return {map: map, cfg: cfg, outlines: outlines, ready: ready};
  };

  C.popup = function (m, linkTemplate, extra) {
    var box = C.el('div', 'cm-popup');
    var a = C.el('a', null, m.name);
    a.href = linkTemplate.split('{id}').join(String(m.id));
    box.append(a, C.el('p', 'mono', m.code));
    if (extra) box.append(C.el('p', null, extra));
    return box;
  };

  C.statusColour = {open: '#1b6e2e', temporarily_closed: '#b26a00', closed: '#b3261e', planned: '#1f5fa8'};

  /** Circle markers for `markers` ({id, name, code, status, at}); fits the view to them. */
  C.drawMarkers = function (state, markers, linkTemplate) {
    var group = L.featureGroup();
    markers.forEach(function (m) {
      var colour = C.statusColour[m.status] || '#455a64';
      var dot = L.circleMarker(m.at, {radius: 6, color: '#ffffff', weight: 1.5, fillColor: colour, fillOpacity: 0.95});
      dot.bindPopup(C.popup(m, linkTemplate));
      dot.bindTooltip(C.el('span', null, m.name));
      dot.options.facilityId = m.id;
      group.addLayer(dot);
    });
    group.addTo(state.map);
    if (markers.length) state.map.fitBounds(group.getBounds(), {padding: [24, 24], maxZoom: 13, animate: false});
    else state.ready.then(function (o) { if (o.getLayers().length) state.map.fitBounds(o.getBounds(), {animate: false}); });
    return group;
  };
})();
