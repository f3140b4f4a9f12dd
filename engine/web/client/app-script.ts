/**
 * The page's one script of its own, served as /assets/app.<hash>.js (never inline: the
 * Content-Security-Policy allows scripts from the engine only). It shows each <time> in the
 * viewer's time zone, keeping UTC in its title (shown on hover), on the first load and on
 * every part htmx swaps in. Plain ES2017 for any phone's browser; no framework.
 */
export const APP_SCRIPT = `'use strict';
(function () {
  var long = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', timeZoneName: 'short' });
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'local time';
  function localize(root) {
    var times = root.querySelectorAll ? root.querySelectorAll('time[datetime]') : [];
    for (var i = 0; i < times.length; i++) {
      var t = times[i];
      if (t.getAttribute('data-local') === '1') continue;
      var d = new Date(t.getAttribute('datetime'));
      if (isNaN(d.getTime())) continue;
      t.textContent = long.format(d);
      t.setAttribute('title', d.toISOString().replace('T', ' ').replace(/\\.\\d+Z$/, ' UTC'));
      t.setAttribute('data-local', '1');
    }
    var zones = root.querySelectorAll ? root.querySelectorAll('[data-time-zone]') : [];
    for (var j = 0; j < zones.length; j++) zones[j].textContent = zone;
  }
  document.addEventListener('DOMContentLoaded', function () { localize(document); });
  document.addEventListener('htmx:load', function (event) { localize(event.target); });
})();
`;
