/* landplan web map: the facility programme (ES5; loaded right after client.js, in the same script).
 *
 * Draws the reserved facility land and the existing facilities' places left from data.fac (see
 * landplan/outputs/webmap/programme.py), builds their cards and the "what this site needs built" table of a
 * housing site's score card. Every text in data.fac was HTML-escaped in Python; numbers are formatted here.
 * Land rows:     [lat, lon, kind, to_build, in_sites (1: counted in sites), land_m2, site, zone, placement, host, distance_m, norm, k, n]
 * Existing rows: [lat, lon, kind, name, capacity, load, absorbed, free, sites_served]
 * Site rows:     [kind, needed, absorbed, to_build, unit, land_m2, placement, host]
 */
(function () {
  'use strict';
  var P = window.LandplanMap.prototype;

  function row(label, value) { return '<tr><td>' + label + '</td><td class="num">' + value + '</td></tr>'; }

  P.facIcon = function (kind, cls, dx, dy, title, j) {
    var k = this.d.fac.kinds[kind];
    var style = cls === 'landplan-fac' ? 'background:' + k.color : 'border-color:' + k.color + ';color:' + k.color;
    if (cls.indexOf('full') >= 0) { style = ''; }
    return L.divIcon({ className: cls, iconSize: [18, 18], iconAnchor: [9 - dx, 9 + dy],
      html: '<div data-row="' + j + '" style="' + style + '" title="' + title + '">' + k.letter + '</div>' });
  };

  P.landCard = function (r) {
    var f = this.d.fac, m = f.msg, fmt = this.fmt, k = f.kinds[r[2]];
    var sites = r[4] === 1;
    var where = f.words[r[8]] + ' ' + r[9] + (r[10] ? ', ' + fmt(r[10], 0) + ' m ' + m.from_site : '');
    return '<div class="landplan-fac-card" data-kind="' + k.name + '" data-land="' + String(r[5]) + '"><b>' +
      m.land_title + ': ' + k.name + '</b><table>' +
      row(sites ? m.sites_to_build : m.places_to_build, fmt(r[3], 0)) +
      row(m.land, fmt(r[5], 0) + ' m\u00b2') + (r[6] ? row(m.serves_site, r[6]) : '') + row(m.zone, r[7]) +
      row(m.where, where) + row(m.norm, f.words[r[11]]) + '</table></div>';
  };

  P.existingCard = function (r) {
    var f = this.d.fac, m = f.msg, fmt = this.fmt, k = f.kinds[r[2]];
    var full = r[7] !== null && r[7] <= 0;
    var html = '<div class="landplan-fac-card" data-kind="' + k.name + '" data-free="' + String(r[7]) + '"><b>' +
      r[3] + '</b>' + (full ? ' <i>(' + m.full + ')</i>' : '') + '<br>' + m.existing_title + ': ' + k.name + '<table>';
    if (r[4] !== null) {
      html += row(m.capacity, fmt(r[4], 0)) + row(m.load, fmt(r[5], 0)) + row(m.absorbed, fmt(r[6], 0)) +
        row(m.free, fmt(r[7], 0));
    }
    return html + row(m.sites_served, fmt(r[8], 0)) + '</table></div>';
  };

  /* the reserved land (squares, side by side on a shared host) and the existing facilities (rounds) */
  P.drawFacilities = function (landGroup, existingGroup) {
    var self = this, f = this.d.fac;
    if (!f) { return; }
    f.land.forEach(function (r, j) {
      var dx = (r[12] - (r[13] - 1) / 2) * 20;  /* side by side, just above the point: the parcel stays clickable */
      var title = f.kinds[r[2]].name;
      var marker = L.marker([r[0], r[1]], { icon: self.facIcon(r[2], 'landplan-fac', dx, 18, title, j), keyboard: false });
      marker.bindPopup(function () { return self.landCard(r); }, { maxWidth: 420 });
      landGroup.addLayer(marker);
    });
    this.facilityZoom();
    this.map.on('zoomend', function () { self.facilityZoom(); });
    f.existing.forEach(function (r, j) {
      var full = r[7] !== null && r[7] <= 0;
      var cls = 'landplan-fac-old' + (full ? ' landplan-fac-full' : '');
      var marker = L.marker([r[0], r[1]], { icon: self.facIcon(r[2], cls, 0, 0, r[3], j), keyboard: false });
      marker.bindPopup(function () { return self.existingCard(r); }, { maxWidth: 420 });
      existingGroup.addLayer(marker);
    });
  };

  /* far out, the markers shrink to dots (no letters) so the sites stay readable */
  P.facilityZoom = function () {
    var c = this.map.getContainer();
    if (this.map.getZoom() < 14) { L.DomUtil.addClass(c, 'lp-fac-far'); } else { L.DomUtil.removeClass(c, 'lp-fac-far'); }
  };

  /* the score card's table of what a housing site needs built ('' for other parcels) */
  P.siteNeeds = function (i) {
    var f = this.d.fac;
    var rows = f ? f.sites[String(i)] : null;
    if (!rows) { return ''; }
    var m = f.msg, fmt = this.fmt;
    var html = '<div class="landplan-site-needs"><b>' + m.needs_title + '</b><table class="landplan-needs"><tr><th>' +
      m.kind + '</th><th>' + m.needed + '</th><th>' + m.absorbed_short + '</th><th>' + m.to_build + '</th><th>' +
      m.land_short + '</th><th>' + m.where + '</th></tr>';
    rows.forEach(function (r) {
      var where = r[5] > 0 ? f.words[r[6]] + (r[7] ? ' ' + r[7] : '') : '';
      html += '<tr data-kind="' + f.kinds[r[0]].name + '"><td>' + f.kinds[r[0]].name + '</td><td class="num">' +
        fmt(r[1], 0) + ' ' + f.words[r[4]] + '</td><td class="num">' + fmt(r[2], 0) + '</td><td class="num">' +
        fmt(r[3], 0) + '</td><td class="num">' + fmt(r[5], 0) + '</td><td>' + where + '</td></tr>';
    });
    return html + '</table></div>';
  };

  /* legend lines for the reserved facility land (kinds present) and the full existing facilities */
  P.facilityLegend = function () {
    var f = this.d.fac;
    if (!f || (!f.land.length && !f.existing.length)) { return ''; }
    var used = {};
    f.land.forEach(function (r, j) { used[r[2]] = true; });
    var html = '<div><b>' + f.msg.legend_land + '</b></div>';
    f.kinds.forEach(function (k, j) {
      if (used[j]) {
        html += '<div><span class="landplan-swatch" style="background:' + k.color + '"></span>' + k.letter + ' ' +
          k.name + '</div>';
      }
    });
    if (f.existing.length) {
      html += '<div><span class="landplan-swatch" style="background:#bdbdbd;border:1px dashed #252525;' +
        'border-radius:6px"></span>' + f.msg.legend_full + '</div>';
    }
    return html;
  };
})();
