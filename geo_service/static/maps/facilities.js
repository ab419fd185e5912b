/* facilities.js: the facility markers: one toggleable, clustered layer per kind, either embedded in the
 * page, fetched per viewport from /maps/data/facilities (markers, or grid clusters when there are too
 * many to draw), or drawn from the vector tiles /tiles/facilities/{z}/{x}/{y}.mvt (a map of more than
 * GEO_MAP_TILES_MIN_FEATURES: every facility from zoom 10, clusters whose counts add up below).
 * Popups are built by GeoMaps.card from DOM nodes. */
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
    } else if (cfg.tiles) {
      tileLoader(map, layer);
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
        .then(function (r) { if (!r.ok) throw GM.apiError(null, r.status); return r.json(); })
        .then(show)
        .catch(function (e) { if (e.name !== 'AbortError') status.textContent = GM.failText(e); });
    };
    map.on('moveend', function () {
      clearTimeout(timer);
      if (layer.loaded) timer = setTimeout(layer.reload, 200); // let a pan or zoom gesture finish first
      else layer.reload();
    });
  }

  /** Tile mode: a grid layer whose tiles are the facilities (or clusters) of one vector tile each, decoded
   * by Leaflet.VectorGrid's reader. A facility is in exactly one tile, so the tiles' counts add up. */
  function tileLoader(map, layer) {
    var cfg = layer.cfg, decoder = L.vectorGrid.protobuf(cfg.tiles, {});
    map.createPane('gm-tiles').style.zIndex = 610;
    var Grid = L.GridLayer.extend({
      createTile: function (coords, done) {
        var tile = GM.el('div', 'gm-tile');
        tile.dataset.count = '0';
        decoder._getVectorTilePromise(coords).then(function (vt) {
          var found = vt.layers[cfg.tile_layer], n = 0;
          (found ? found.features : []).forEach(function (f) { n += drawTileFeature(map, layer, tile, coords, f); });
          tile.dataset.count = String(n);
          done(null, tile);
        }, function (e) { done(e, tile); });
        return tile;
      },
    });
    var grid = new Grid({pane: 'gm-tiles', tileSize: 256, updateWhenZooming: false}).addTo(map);
    grid.on('load', function () { layer.loaded = true; document.body.dataset.loaded = String(Date.now()); });
    layer.reload = function () { grid.redraw(); };
    GM.state().tileGrid = grid;
    GM.state().tileCount = function () {
      var n = 0, z = map.getZoom();
      Object.keys(grid._tiles).forEach(function (key) {
        var t = grid._tiles[key];
        if (t.current && t.coords.z === z && t.loaded) n += parseInt(t.el.dataset.count, 10);
      });
      return n;
    };
  }

  function tileLatLng(map, coords, f) {
    var p = f.geometry[0][0], scale = 256 / f.extent;
    return map.unproject(L.point(coords.x * 256 + p.x * scale, coords.y * 256 + p.y * scale), coords.z);
  }

  function drawTileFeature(map, layer, tile, coords, f) {
    var p = f.properties, at = f.geometry[0][0], scale = 256 / f.extent, node, shown;
    if (p.count !== undefined) {
      shown = layer.cfg.kinds.reduce(function (sum, kind) { return sum + (layer.enabled[kind] ? (p[kind] || 0) : 0); }, 0);
      if (!shown) return 0;
      node = GM.el('div', 'gm-tile-cluster');
      node.appendChild(GM.el('div', 'gm-bubble gm-bubble-server', shown));
      node.classList.add(shown < 100 ? 'gm-s' : shown < 1000 ? 'gm-m' : 'gm-l');
      L.DomEvent.on(node, 'click', function (e) {
        L.DomEvent.stop(e);
        map.setView(tileLatLng(map, coords, f), Math.min(coords.z + 2, 18));
      });
    } else {
      if (!layer.enabled[p.kind] || layer.groups[p.kind] === undefined) return 0;
      shown = 1;
      node = GM.el('div', 'gm-tile-point');
      node.style.background = (GM.state().cfg.symbols.kinds[p.kind] || {color: '#555'}).color;
      node.title = p.name;
      node.dataset.id = String(f.id);
      L.DomEvent.on(node, 'click', function (e) { L.DomEvent.stop(e); openTileCard(map, layer, f.id, tileLatLng(map, coords, f)); });
    }
    node.style.left = (at.x * scale) + 'px';
    node.style.top = (at.y * scale) + 'px';
    tile.appendChild(node);
    return shown;
  }

  function openTileCard(map, layer, id, latlng) {
    fetch(layer.cfg.item + encodeURIComponent(id) + '?f=json')
      .then(function (r) { if (!r.ok) throw GM.apiError(null, r.status); return r.json(); })
      .then(function (feature) {
        var p = Object.assign({id: feature.id}, feature.properties);
        if (p.is_sample) GM.markSample();
        L.popup({maxWidth: 320, minWidth: 240, autoPanPadding: [12, 60]})
          .setLatLng(latlng).setContent(GM.card(p, feature.geometry.coordinates)).openOn(map);
      })
      .catch(function (e) { if (GM.toast) GM.toast(GM.failText(e)); });
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
