/* facilities.js: the facility markers: one toggleable, clustered layer per kind, either embedded in the
 * page or fetched per viewport from /maps/data/facilities (markers, or grid clusters when there are too
 * many to draw). Popups are built by GeoMaps.card from DOM nodes. */
(function () {
  'use strict';
  var GM = window.GeoMaps;
  var CLUSTER_PX = 64; // grid cell of server-side clusters, in screen pixels

  function clusterIcon(color) {
    return function (cluster) {
      var bubble = GM.el('div', 'gm-bubble', cluster.getChildCount());
      bubble.style.background = color;
      return L.divIcon({className: 'gm-cluster-icon marker-cluster', html: bubble, iconSize: [36, 36]});
    };
  }

  function newGroup(cfg, kind) {
    if (!cfg.cluster) return L.layerGroup();
    var color = (GM.state().cfg.symbols.kinds[kind] || {color: '#555'}).color;
    return L.markerClusterGroup({
      iconCreateFunction: clusterIcon(color), maxClusterRadius: 45, disableClusteringAtZoom: 15,
      showCoverageOnHover: false, spiderfyOnMaxZoom: true, chunkedLoading: true,
    });
  }

  function wgs84Of(f) {
    return f.properties.wgs84 || f.geometry.coordinates;
  }

  function addMarker(layer, f) {
    var p = f.properties, c = f.geometry.coordinates, state = GM.state();
    var group = layer.groups[p.kind];
    if (!group) return null;
    var marker = L.marker([c[1], c[0]], {icon: GM.markerIcon(p.kind), title: p.name, alt: p.name, riseOnHover: true});
    marker.bindPopup(function () { return GM.card(p, wgs84Of(f)); }, {maxWidth: 320, minWidth: 240, autoPanPadding: [12, 60]});
    marker.facilityId = p.id;
    group.addLayer(marker);
    layer.count[p.kind] += 1;
    state.searchIndex.push({p: p, marker: marker, group: group, kind: p.kind});
    if (p.is_sample) GM.markSample();
    return marker;
  }

  GM.facilityLayer = function (map, cfg) {
    var layer = {cfg: cfg, groups: {}, count: {}, enabled: {}};
    cfg.kinds.forEach(function (kind) {
      layer.groups[kind] = newGroup(cfg, kind).addTo(map);
      layer.count[kind] = 0;
      layer.enabled[kind] = true;
    });
    GM.state().facilities = layer;
    if (cfg.features) {
      cfg.features.forEach(function (f) { addMarker(layer, f); });
    } else {
      viewportLoader(map, layer);
    }
    cfg.kinds.forEach(function (kind) {
      var sym = GM.state().cfg.symbols.kinds[kind] || {label: kind, color: '#555'};
      GM.overlay({
        id: 'kind:' + kind, kind: kind, title: sym.label, swatch: sym.color, icon: sym.icon, layer: layer.groups[kind],
        count: function () { return cfg.features ? layer.count[kind] : null; },
        toggle: cfg.features ? null : function (on) { layer.enabled[kind] = on; layer.reload(); },
      });
    });
  };

  /** Viewport mode: fetch what is in view after every move; stale answers are dropped. */
  function viewportLoader(map, layer) {
    var state = GM.state(), clusters = L.layerGroup().addTo(map), controller = null, timer = null;
    var status = GM.el('div', 'gm-status-line leaflet-control');
    var box = L.control({position: 'bottomleft'});
    box.onAdd = function () { return status; };
    box.addTo(map);
    layer.clusters = clusters;

    function url() {
      var b = map.getBounds(), zoom = map.getZoom();
      var bbox = [Math.max(b.getWest(), -180), Math.max(b.getSouth(), -90), Math.min(b.getEast(), 180), Math.min(b.getNorth(), 90)];
      var cell = (360 / (256 * Math.pow(2, zoom))) * CLUSTER_PX;
      var params = new URLSearchParams({bbox: bbox.map(function (v) { return v.toFixed(5); }).join(','), cell: cell.toPrecision(4)});
      layer.cfg.kinds.forEach(function (kind) { if (layer.enabled[kind]) params.append('kind', kind); });
      var source = layer.cfg.source;
      return source + (source.indexOf('?') < 0 ? '?' : '&') + params.toString();
    }

    function show(body) {
      layer.loaded = true;
      clusters.clearLayers();
      state.searchIndex.length = 0;
      Object.keys(layer.groups).forEach(function (kind) { layer.groups[kind].clearLayers(); layer.count[kind] = 0; });
      if (body.mode === 'features') {
        body.features.forEach(function (f) { addMarker(layer, f); });
      } else {
        body.clusters.forEach(function (c) { clusters.addLayer(serverCluster(map, c)); });
      }
      status.textContent = body.numberMatched + ' ' + (body.mode === 'features' ? state.S.in_view : state.S.zoom_in);
      if (layer.pending) openPending(layer);
      document.body.dataset.loaded = String(Date.now());
    }

    layer.reload = function () {
      if (controller) controller.abort();
      var enabled = layer.cfg.kinds.filter(function (kind) { return layer.enabled[kind]; });
      if (!enabled.length) { show({mode: 'features', features: [], numberMatched: 0}); return; }
      controller = new AbortController();
      status.textContent = state.S.loading;
      fetch(url(), {signal: controller.signal})
        .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
        .then(show)
        .catch(function (e) { if (e.name !== 'AbortError') status.textContent = state.S.tiles_failed; });
    };
    map.on('moveend', function () {
      clearTimeout(timer);
      if (layer.loaded) timer = setTimeout(layer.reload, 200); // let a pan or zoom gesture finish first
      else layer.reload();
    });
  }

  function serverCluster(map, c) {
    var bubble = GM.el('div', 'gm-bubble gm-bubble-server', c[2]);
    var size = c[2] < 100 ? 36 : c[2] < 1000 ? 44 : 52;
    var marker = L.marker([c[1], c[0]], {icon: L.divIcon({className: 'gm-server-cluster', html: bubble, iconSize: [size, size]})});
    marker.on('click', function () { map.setView(marker.getLatLng(), Math.min(map.getZoom() + 2, 18)); });
    return marker;
  }

  function openPending(layer) {
    var hit = GM.state().searchIndex.filter(function (e) { return e.p.id === layer.pending; })[0];
    if (hit) { layer.pending = null; GM.reveal(hit); }
  }

  /** Bring a search hit into view and open its card (turning its kind on if the user had hidden it). */
  GM.reveal = function (entry) {
    var map = GM.state().map;
    if (!map.hasLayer(entry.group)) map.addLayer(entry.group);
    if (entry.group.zoomToShowLayer) {
      entry.group.zoomToShowLayer(entry.marker, function () { entry.marker.openPopup(); });
    } else {
      map.setView(entry.marker.getLatLng(), Math.max(map.getZoom(), 15));
      entry.marker.openPopup();
    }
  };
})();
