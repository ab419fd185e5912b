/* planner.js: the planner map's settings form. A custom radius wins over the preset, and fields left
 * empty are not sent (the page would read an empty radius as a bad number); the district "whole city"
 * is the empty choice. Everything else is a plain GET form posting back to the page. */
(function () {
  'use strict';
  function start() {
    var form = document.querySelector('.gm-pl-form');
    if (form) watch(form);
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start); else start();

  function watch(form) {
    var radius = form.querySelector('[name="radius_m"]'), preset = form.querySelector('[name="preset"]');
    form.addEventListener('submit', function () {
      var custom = radius && radius.value.trim() !== '';
      if (preset) preset.disabled = custom || preset.value === '';
      Array.prototype.forEach.call(form.elements, function (field) {
        if (field.name && field.name !== 'preset' && field.value === '') field.disabled = true;
      });
    });
    // after the browser's back button the page may come back from its cache with the fields disabled
    window.addEventListener('pageshow', function () {
      Array.prototype.forEach.call(form.elements, function (field) { field.disabled = false; });
    });
  }
})();
