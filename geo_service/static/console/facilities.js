/* facilities.js: the map beside the facility table (and the reports queue) — the same selection as the
 * table, every page of it: markers come from data-markers (a URL with the table's filters) or data-points. */
(function () {
  'use strict';
  var C = window.Console;
  document.addEventListener('DOMContentLoaded', function () {
    var node = document.getElementById('map');
    if (!node) return;
    var state = C.makeMap(node), link = node.dataset.link, note = document.getElementById('map-note');
    function done(markers, matched) {
      C.drawMarkers(state, markers, link);
      if (note && node.dataset.shown) {
        note.textContent = node.dataset.shown.split('{shown}').join(String(markers.length)).split('{matched}').join(String(matched));
      }
      node.dataset.count = String(markers.length);
      document.body.classList.add('cm-map-ready');
    }
    if (node.dataset.points !== undefined) {
      var points = JSON.parse(node.dataset.points || '[]');
      done(points, points.length);
      return;
    }
    C.getJSON(node.dataset.markers).then(function (body) { done(body.markers, body.matched); })
      .catch(function () { done([], 0); });
  });
})();
