/* geomaps.js: draws the layers of geo_service's map pages (layers/*.py send the configs).
 *
 * Every string that comes from data (names, addresses, hours, titles) reaches the page through DOM text
 * nodes (textContent), never through innerHTML or Leaflet's string content, so a facility called
 * "<img src=x onerror=…>" is shown as exactly that. Links are only followed when they are https: (or tel:).
 */
(function () {
  'use strict';
  var GM = (window.GeoMaps = {});
  var page = null; // one map per page: {map, cfg, S, overlays, searchIndex, ...}

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  /** An inline SVG icon (icons.js, generated from Font Awesome's SVGs: pages load no icon font). */
  function icon(name) {
    var glyphs = window.GeoMapsIcons || {}, glyph = glyphs[name] || glyphs['location-dot'];
    var ns = 'http://www.w3.org/2000/svg', svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('class', 'gm-icon gm-icon-' + name);
    svg.setAttribute('aria-hidden', 'true');
    svg.setAttribute('focusable', 'false');
    if (!glyph) return svg;
    svg.setAttribute('viewBox', '0 0 ' + glyph[0] + ' ' + glyph[1]);
    svg.setAttribute('width', (glyph[0] / glyph[1]).toFixed(3) + 'em');
    svg.setAttribute('height', '1em');
    var path = document.createElementNS(ns, 'path');
    path.setAttribute('d', glyph[2]);
    svg.append(path);
    return svg;
  }
  function link(href, cls, text) {
    var a = el('a', cls, text);
    if (/^https:\/\//.test(href)) { a.href = href; a.target = '_blank'; a.rel = 'noopener noreferrer'; }
    return a;
  }
  GM.el = el;
  GM.icon = icon;

  /* WGS-84 → GCJ-02, the published forward formula (as geo_service/analysis/crs.py): only for positions the
   * browser itself knows in WGS-84 (GPS fixes, API answers) when the basemap is Amap; the server shifts the
   * rest. Outside China the vendors apply no offset. */
  function gcjOffset(lon, lat) {
    var x = lon - 105, y = lat - 35, PI = Math.PI, a = 6378245.0, ee = 0.00669342162296594323;
    var dLat = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    dLat += (20 * Math.sin(6 * x * PI) + 20 * Math.sin(2 * x * PI)) * 2 / 3;
    dLat += (20 * Math.sin(y * PI) + 40 * Math.sin(y / 3 * PI)) * 2 / 3;
    dLat += (160 * Math.sin(y / 12 * PI) + 320 * Math.sin(y * PI / 30)) * 2 / 3;
    var dLon = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    dLon += (20 * Math.sin(6 * x * PI) + 20 * Math.sin(2 * x * PI)) * 2 / 3;
    dLon += (20 * Math.sin(x * PI) + 40 * Math.sin(x / 3 * PI)) * 2 / 3;
    dLon += (150 * Math.sin(x / 12 * PI) + 300 * Math.sin(x / 30 * PI)) * 2 / 3;
    var radLat = lat / 180 * PI, magic = 1 - ee * Math.sin(radLat) * Math.sin(radLat), sqrtMagic = Math.sqrt(magic);
    dLat = (dLat * 180) / ((a * (1 - ee)) / (magic * sqrtMagic) * PI);
    dLon = (dLon * 180) / (a / sqrtMagic * Math.cos(radLat) * PI);
    return [dLon, dLat];
  }
  /** [lat, lng] to draw a WGS-84 lon/lat on this page's basemap. */
  GM.toDisplay = function (lon, lat) {
    var inChina = lon >= 72.004 && lon <= 137.8347 && lat >= 0.8293 && lat <= 55.8271;
    if (!page || page.cfg.crs !== 'gcj02' || !inChina) return [lat, lon];
    var d = gcjOffset(lon, lat);
    return [lat + d[1], lon + d[0]];
  };

  /** Metres in the page's one unit style (as geo_layers.units.distance_text): "850 米", "2.3 公里", "12 公里"
   *  in Chinese, "850 m", "2.3 km" in English; whole metres below 1 km, one decimal below 100 km. */
  GM.formatDistance = function (metres) {
    var S = page.S, m = Math.floor(metres + 0.5);
    if (m < 1000) return m + ' ' + S.metres;
    var km = metres / 1000;
    var text = km < 99.95 ? (Math.floor(km * 10 + 0.5) / 10).toFixed(1).replace(/\.0$/, '') : String(Math.floor(km + 0.5));
    return text + ' ' + S.kilometres;
  };

  /** An Error whose message is what the page says about a failed API answer, in the page's language: keyed
   *  by the error's code (`detail[].code`), the parameter it names (`detail[].loc`) or the HTTP status, never
   *  by the API's text. */
  GM.apiError = function (body, status) {
    var S = page.S, detail = body && Array.isArray(body.detail) ? body.detail[0] : null;
    var loc = detail && Array.isArray(detail.loc) ? detail.loc[detail.loc.length - 1] : null;
    var code = detail && typeof detail.code === 'string' ? detail.code : null;
    var text = (code && S['error_' + code]) || (loc && S['error_' + loc]) || S['error_' + status] ||
      (status >= 500 ? S.error_server : S.error_request);
    var error = new Error(text);
    error.localised = true;
    return error;
  };
  /** What the page says about a failed request: the localised API error, or "no connection". */
  GM.failText = function (error) {
    return error && error.localised ? error.message : page.S.error_network;
  };

  function navLinks(p, lon, lat) {
    if (p.navigation) return p.navigation; // the nearest API computed them from the rider's position
    var label = encodeURIComponent(String(p.name || '').replace(/[,|]/g, ' ').trim() || '目的地');
    var links = {};
    Object.keys(page.cfg.nav).forEach(function (vendor) {
      links[vendor] = page.cfg.nav[vendor].split('{lon}').join(lon.toFixed(6)).split('{lat}').join(lat.toFixed(6))
        .split('{label}').join(label);
    });
    return links;
  }

  /** Open/closed in words: the API's state_text (营业中 / 休息中（HH:MM 开门）…) when it sends one. */
  function badge(p) {
    var S = page.S, state = p.open_state;
    if (!state && !p.state_text) return null;
    return el('span', 'gm-open gm-open-' + (p.state || state || 'unknown'), p.state_text || S[state] || state);
  }

  /** The facility card of popups and of the nearby list; `wgs84` is [lon, lat], `extra.distance` metres. */
  GM.card = function (p, wgs84, extra) {
    var S = page.S, sym = page.cfg.symbols, kind = sym.kinds[p.kind] || {label: p.kind, color: '#555', icon: 'location-dot'};
    var card = el('div', 'gm-card' + (p.open_state === 'closed' ? ' gm-card-closed' : ''));
    card.dataset.id = String(p.id);
    var head = el('div', 'gm-card-head');
    var chip = el('span', 'gm-kind');
    chip.style.background = kind.color;
    chip.append(icon(kind.icon), ' ', kind.label);
    head.append(chip);
    if (p.is_sample) head.append(el('span', 'gm-sample-badge', S.sample_badge));
    card.append(head, el((extra && extra.heading) || 'h2', 'gm-card-title', p.name));
    var meta = el('div', 'gm-card-meta');
    if (extra && extra.distance !== undefined) meta.append(el('span', 'gm-distance', GM.formatDistance(extra.distance)));
    var open = badge(p);
    if (open) meta.append(open);
    if (!p.state_text && p.status && p.status !== 'open') meta.append(el('span', 'gm-status', sym.statuses[p.status] || p.status));
    if (meta.childNodes.length) card.append(meta);
    function row(iconName, label, text) {
      if (!text) return;
      var line = el('p', 'gm-row');
      line.append(icon(iconName), ' ');
      line.append(el('span', 'gm-row-label', label + '：'), el('span', 'gm-row-text', text));
      card.append(line);
    }
    row('clock', S.hours, p.hours_text || p.opening_hours || S.unknown);
    if (p.truck_parking_spaces > 0) {
      var trucks = el('p', 'gm-row gm-trucks');
      trucks.append(icon((sym.amenities.truck_parking || {}).icon || 'location-dot'), ' ',
        el('span', 'gm-row-text', S.truck_spaces.split('{n}').join(String(p.truck_parking_spaces))));
      card.append(trucks);
    }
    row('location-dot', S.address, p.address);
    var access = sym.access[p.access_method];
    if (access) row(access.icon, S.access, access.label);
    if ('last_verified_at' in p) row('circle-check', S.verified, p.last_verified_at || S.never_verified);
    if (p.open_reports > 0) {
      var reports = el('p', 'gm-row gm-reports');
      reports.append(icon('triangle-exclamation'), ' ', el('span', 'gm-row-text', S.open_reports.split('{n}').join(String(p.open_reports))));
      card.append(reports);
    }
    var amenities = (p.amenities || []).filter(function (code) { return sym.amenities[code]; });
    if (amenities.length) {
      var list = el('ul', 'gm-amenities');
      list.setAttribute('aria-label', S.amenities);
      amenities.forEach(function (code) {
        var item = el('li', 'gm-amenity');
        item.append(icon(sym.amenities[code].icon), ' ', sym.amenities[code].label);
        list.append(item);
      });
      card.append(list);
    }
    var actions = el('div', 'gm-actions');
    if (p.phone) {
      var tel = el('a', 'gm-btn gm-btn-phone');
      tel.href = 'tel:' + String(p.phone).replace(/[^0-9+]/g, '');
      tel.append(icon('phone'), ' ', p.phone);
      actions.append(tel);
    }
    if (wgs84) {
      var links = navLinks(p, wgs84[0], wgs84[1]);
      ['amap', 'baidu', 'tencent'].forEach(function (vendor) {
        if (!links[vendor]) return;
        var a = link(links[vendor], 'gm-btn gm-btn-nav gm-nav-' + vendor);
        a.append(icon('route'), ' ', S[vendor]);
        a.setAttribute('aria-label', S.navigate + ' ' + S[vendor]);
        actions.append(a);
      });
    }
    if (actions.childNodes.length) card.append(actions);
    return card;
  };

  GM.markerIcon = function (kind, number) {
    var k = page.cfg.symbols.kinds[kind] || {color: '#555', icon: 'location-dot'};
    var pin = el('div', 'gm-pin');
    pin.style.background = k.color;
    pin.append(number ? el('b', null, number) : icon(k.icon));
    return L.divIcon({className: 'gm-marker gm-marker-' + kind, html: pin, iconSize: [30, 30], iconAnchor: [15, 15], popupAnchor: [0, -14]});
  };

  GM.page = function (map, cfg) {
    page = {map: map, cfg: cfg, S: cfg.strings, overlays: [], searchIndex: [], sample: false};
    map.eachLayer(function (layer) {
      if (layer instanceof L.TileLayer) layer.on('tileerror', tileFailed);
    });
    map.attributionControl.setPrefix(false);
    L.control.scale({imperial: false}).addTo(map);
    map.createPane('gmLabels').style.zIndex = 450; // district names: above outlines, below markers
    if (cfg.chrome === 'embed' && cfg.links.length) addEmbedLinks(map, cfg.links);
  };
  GM.state = function () { return page; };

  function tileFailed() {
    if (page.tileNotice) return;
    page.tileNotice = el('div', 'gm-notice', page.S.tiles_failed);
    page.map.getContainer().append(page.tileNotice);
    setTimeout(function () { page.tileNotice.classList.add('gm-hidden'); }, 8000);
  }

  function addEmbedLinks(map, links) {
    var box = el('div', 'gm-embed-links leaflet-control');
    links.forEach(function (pair) { box.append(link(new URL(pair[1], location.href).href, null, pair[0])); });
    var control = L.control({position: 'bottomleft'});
    control.onAdd = function () { return box; };
    control.addTo(map);
  }

  /** Register a toggleable overlay for the legend (`swatch`: colour or null, `legend`: [[colour, text]]). */
  GM.overlay = function (entry) { page.overlays.push(entry); };

  GM.addLayer = function (map, cfg) {
    var draw = {facilities: GM.facilityLayer, areas: areaLayer, circles: circleLayer, sites: siteLayer}[cfg.type];
    if (!draw) throw new Error('unknown layer type ' + cfg.type);
    draw(map, cfg);
  };

  /** Each drawn layer in a pane of its own, stacked in the order the page adds them (the registry's drawing
   *  order): hiding and showing a layer in the legend then keeps it at its level (re-adding it to the
   *  shared overlay pane would put the gaps over the sites). */
  function layerPane(map, cfg) {
    var name = 'gm-pane-' + cfg.id;
    if (!map.getPane(name)) {
      page.panes = (page.panes || 0) + 1;
      var pane = map.createPane(name);
      pane.style.zIndex = String(400 + page.panes);
      pane.style.pointerEvents = 'none'; // only interactive shapes take taps (Leaflet sets them to auto)
    }
    return name;
  }

  /** The SVG hatch a style names with fillPattern: 'hatch' (its colour is the style's), as a fill url. */
  function hatch(color) {
    var id = 'gm-hatch-' + color.replace(/[^0-9a-zA-Z]/g, '');
    if (!document.getElementById(id)) {
      var ns = 'http://www.w3.org/2000/svg', svg = document.createElementNS(ns, 'svg');
      svg.setAttribute('width', '0'); svg.setAttribute('height', '0'); svg.setAttribute('aria-hidden', 'true');
      svg.style.position = 'absolute';
      var pattern = document.createElementNS(ns, 'pattern'), line = document.createElementNS(ns, 'path');
      pattern.id = id;
      ['patternUnits', 'userSpaceOnUse', 'width', '9', 'height', '9', 'patternTransform', 'rotate(45)'].forEach(function (v, i, a) {
        if (i % 2 === 0) pattern.setAttribute(v, a[i + 1]);
      });
      line.setAttribute('d', 'M0 0V9');
      line.setAttribute('stroke', color);
      line.setAttribute('stroke-width', '1.5');
      pattern.append(line);
      svg.append(pattern);
      document.body.append(svg);
    }
    return 'url(#' + id + ')';
  }
  function styled(style) {
    if (!style || style.fillPattern !== 'hatch') return style;
    return L.extend({}, style, {fillColor: hatch(style.color)});
  }

  function areaLayer(map, cfg) {
    var group = L.featureGroup(), pane = layerPane(map, cfg);
    L.geoJSON(cfg.features, {
      interactive: !!cfg.interactive,
      pane: pane,
      style: function (f) { return styled(f.properties.style || cfg.style); },
      onEachFeature: function (f, layer) {
        if (f.properties.lines) {
          var tip = el('div', 'gm-tip');
          f.properties.lines.forEach(function (line, i) { tip.append(el(i ? 'div' : 'strong', null, line)); });
          layer.bindTooltip(tip, {sticky: true});
        }
        if (f.properties.label) {
          L.tooltip({permanent: true, direction: 'center', className: 'gm-area-label', interactive: false, pane: 'gmLabels'})
            .setLatLng(f.properties.label).setContent(el('span', null, f.properties.name)).addTo(group);
        }
      },
    }).addTo(group);
    group.addTo(map);
    GM.overlay({id: cfg.id, title: cfg.title, layer: group, swatch: cfg.swatch || (cfg.style || {}).color, legend: cfg.legend});
  }

  function circleLayer(map, cfg) {
    var renderer = L.canvas({padding: 0.3, pane: layerPane(map, cfg)}), group = L.layerGroup();
    cfg.centres.forEach(function (c) {
      L.circle(c, L.extend({radius: cfg.radius_m, interactive: false, renderer: renderer}, cfg.style)).addTo(group);
    });
    group.addTo(map);
    GM.overlay({id: cfg.id, title: cfg.title, layer: group, swatch: cfg.style.color, legend: cfg.legend});
  }

  /** Suggested sites: the service radius (metres) and a dot that stays visible at any zoom, with a
   *  tooltip of text lines (rank, gains) set through textContent. */
  function siteLayer(map, cfg) {
    var group = L.featureGroup(), pane = layerPane(map, cfg);
    map.getPane(pane).style.zIndex = '620'; // above the existing stations' markers (600): the plan is the point
    cfg.sites.forEach(function (site) {
      L.circle(site.at, L.extend({radius: cfg.radius_m, interactive: false, pane: pane}, cfg.style)).addTo(group);
      var dot = L.circleMarker(site.at, {radius: 7, color: '#ffffff', weight: 2, fillColor: cfg.style.color, fillOpacity: 1, pane: pane});
      var tip = el('div', 'gm-tip');
      site.lines.forEach(function (line, i) { tip.append(el(i ? 'div' : 'strong', null, line)); });
      dot.bindTooltip(tip, {sticky: true}).addTo(group);
    });
    group.addTo(map);
    GM.overlay({id: cfg.id, title: cfg.title, layer: group, swatch: cfg.style.color, legend: cfg.legend});
  }

  GM.ready = function (map) {
    var b = page.cfg.bounds;
    map.fitBounds(b, {padding: [16, 16], maxZoom: 15, animate: false}); // an animation would swallow the next view change
    if (GM.legend) GM.legend(map);
    if (page.cfg.kind !== 'nearby' && GM.tools) GM.tools(map);
    document.body.classList.add('gm-ready');
  };

  /** Show the "sample data" banner once any synthetic facility is on the page. */
  GM.markSample = function () {
    if (page.sample) return;
    page.sample = true;
    var banner = el('div', 'gm-sample-banner', page.S.sample_notice);
    banner.setAttribute('role', 'note');
    page.map.getContainer().append(banner);
  };
})();
