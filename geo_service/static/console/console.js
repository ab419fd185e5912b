/* console.js: helpers every console page shares. No inline script anywhere: pages pass data in
 * data-* attributes, read here with dataset/JSON.parse; text from data is set with textContent only. */
(function () {
  'use strict';
  var C = (window.Console = {});

  C.el = function (tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  };

  /** GET a JSON answer of the console (same origin, the session cookie goes along). */
  C.getJSON = function (url) {
    return fetch(url, {credentials: 'same-origin', headers: {Accept: 'application/json'}}).then(function (r) {
      if (!r.ok) throw new Error('HTTP ' + r.status);
      return r.json();
    });
  };

  /** The CSRF token of this page's session, for scripts that POST (forms carry it as a hidden field). */
  C.csrf = function () {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : '';
  };

  C.debounce = function (fn, ms) {
    var timer = null;
    return function () {
      var args = arguments;
      clearTimeout(timer);
      timer = setTimeout(function () { fn.apply(null, args); }, ms);
    };
  };

  function focusProblems() {
    var summary = document.getElementById('error-summary') || document.getElementById('conflict');
    if (summary) { summary.setAttribute('tabindex', '-1'); summary.focus(); }
  }
  document.addEventListener('DOMContentLoaded', function () {
    focusProblems();
    document.body.classList.add('cm-ready');
  });
})();
