/* landplan web map client (ES5, no dependency but Leaflet).
 *
 * Builds score cards, tooltips, rank labels, the legend, the scale bar and the what-if weight sliders in the
 * browser from one compact data object (see landplan/outputs/webmap/client.py). Every text in that object was
 * HTML-escaped in Python (landplan.outputs.escape.html_text) before it was serialised, so it is inserted as
 * markup as it is; numbers are formatted here, per language. This file holds no template syntax: folium
 * compiles rendered pages again as Jinja2 templates, and landplan refuses to render when any appears.
 */
(function () {
  'use strict';

  function numberFormat(lang) {
    var cache = {};
    var locale = lang === 'vi' ? 'vi-VN' : 'en-GB';
    return function (x, decimals) {
      if (x === null || x === undefined || typeof x !== 'number' || isNaN(x)) { return '\u2014'; }
      var f = cache[decimals];
      if (!f) {
        f = new Intl.NumberFormat(locale, { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
        cache[decimals] = f;
      }
      return f.format(x);
    };
  }

  function rawText(fmt, x) {
    if (typeof x === 'string') { return x; }
    if (x === null || x === undefined || isNaN(x)) { return '\u2014'; }
    var a = Math.abs(x);
    if (a >= 1000 || a === 0 || Math.round(x) === x) { return fmt(x, 0); }
    var d = Math.max(0, Math.min(6, 3 - Math.floor(Math.log(a) / Math.LN10)));
    return fmt(x, d);
  }

  function LandplanMap(map, data) {
    this.map = map;
    this.d = data;
    this.m = data.msg;
    this.n = data.ids.length;
    this.fmt = numberFormat(data.lang);
    this.layers = new Array(this.n);
    this.whatIf = false;
    this.score = data.score.slice();
    this.rank = data.rank.slice();
    this.cls = data.cls.slice();
    this.weights = data.weights.slice();
    this.markers = {};
    window.landplan = this;
  }

  LandplanMap.prototype.color = function (i) {
    var c = this.cls[i];
    return c < 0 ? this.d.excluded_color : this.d.palette[c];
  };

  /* the parcels as GeoJSON features, decoded from the flat integer arrays of the data object */
  LandplanMap.prototype.features = function () {
    var g = this.d.geom, step = g.step, x0 = g.origin[0], y0 = g.origin[1], xy = g.xy;
    var k = 0, r = 0, p = 0, out = new Array(this.n);
    for (var i = 0; i < this.n; i++) {
      var polys = [];
      for (var a = 0; a < g.polys[i]; a++, p++) {
        var rings = [];
        for (var b = 0; b < g.rings[p]; b++, r++) {
          var m = g.points[r], ring = new Array(m), x = 0, y = 0;
          for (var c = 0; c < m; c++, k += 2) {
            if (c === 0) { x = xy[k]; y = xy[k + 1]; } else { x += xy[k]; y += xy[k + 1]; }
            ring[c] = [x0 + x * step, y0 + y * step];
          }
          rings.push(ring);
        }
        polys.push(rings);
      }
      out[i] = { type: 'Feature', properties: { i: i, parcel_id: this.d.ids[i] },
        geometry: { type: 'MultiPolygon', coordinates: polys } };
    }
    return out;
  };

  /* draw the parcels into their group: style from the data, one card, tooltip and hover for the group */
  LandplanMap.prototype.draw = function (group) {
    var self = this;
    var t0 = Date.now();
    var features = this.features();
    this.timing = { decode_ms: Date.now() - t0 };
    var geo = L.geoJson(features, {
      style: function (f) {
        var i = f.properties.i;
        var style = { fillColor: self.color(i), color: '#444444', weight: 0.5, fillOpacity: 0.75 };
        if (!self.d.large) { style.className = 'lp-parcel lp-p' + i; }
        return style;
      },
      onEachFeature: function (f, layer) { self.layers[f.properties.i] = layer; }
    });
    geo.bindPopup(function (layer) { return self.card(layer.feature.properties.i); }, { maxWidth: 480 });
    geo.bindTooltip(function (layer) { return self.tip(layer.feature.properties.i); }, { sticky: true });
    geo.on('mouseover', function (e) { e.layer.setStyle({ weight: 2, color: '#000000' }); });
    geo.on('mouseout', function (e) { e.layer.setStyle({ weight: 0.5, color: '#444444' }); });
    this.timing.layers_ms = Date.now() - t0 - this.timing.decode_ms;
    group.addLayer(geo);
    this.parcels = geo;
    this.timing.draw_ms = Date.now() - t0;
  };

  LandplanMap.prototype.title = function (i) {
    var name = this.d.names ? this.d.names[i] : '';
    return this.m.parcel + ' ' + this.d.ids[i] + (name ? ' \u00b7 ' + name : '');
  };

  LandplanMap.prototype.rankText = function (i) {
    var r = this.rank[i];
    return r === null ? this.m.not_ranked : this.fmt(r, 0);
  };

  LandplanMap.prototype.tip = function (i) {
    return '<b>' + this.title(i) + '</b><br>' + this.m.rank + ' ' + this.rankText(i) + ' \u00b7 ' +
      this.m.score + ' ' + this.fmt(this.score[i], 3);
  };

  LandplanMap.prototype.contribution = function (i, j) {
    var v = this.d.values[j][i];
    if (this.d.method === 'weighted_sum') { return v === null ? NaN : v * this.weights[j]; }
    if (this.whatIf || !this.d.contrib) { return NaN; }
    var c = this.d.contrib[j][i];
    return c === null ? NaN : c;
  };

  LandplanMap.prototype.drivers = function (i) {
    if (this.d.method !== 'weighted_sum') { return this.whatIf ? '' : (this.d.drivers ? this.d.drivers[i] : ''); }
    var parts = [];
    for (var j = 0; j < this.d.crit.length; j++) {
      var c = this.contribution(i, j);
      if (c > 0) { parts.push([c, j]); }
    }
    parts.sort(function (a, b) { return (b[0] - a[0]) || (a[1] - b[1]); });
    var self = this;
    var text = parts.slice(0, this.d.top_drivers).map(function (p) {
      return self.d.crit[p[1]].label + ' ' + self.fmt(p[0], 2);
    }).join(', ');
    return text || this.m.none;
  };

  LandplanMap.prototype.card = function (i) {
    var d = this.d, m = this.m, fmt = this.fmt;
    var rows = '';
    for (var j = 0; j < d.crit.length; j++) {
      var c = d.crit[j];
      rows += '<tr><td>' + c.label + '</td><td class="num">' + rawText(fmt, d.raw[j][i]) +
        (c.unit ? ' ' + c.unit : '') + '</td><td class="num">' + fmt(d.values[j][i], 2) + '</td><td class="num">' +
        fmt(this.weights[j], 3) + '</td><td class="num">' + fmt(this.contribution(i, j), 3) + '</td></tr>';
    }
    var reason = d.reason_of[i] < 0 ? '' : d.reasons[d.reason_of[i]];
    var html = '<div class="landplan-card" data-pid="' + d.ids[i] + '" data-score="' + String(this.score[i]) +
      '" data-rank="' + String(this.rank[i]) + '"><b>' + this.title(i) + '</b><br>' + m.score + ' <b>' +
      fmt(this.score[i], 3) + '</b>, ' + m.rank.toLowerCase() + ' ' + this.rankText(i) +
      (this.whatIf ? ' <i>(' + m.what_if + ')</i>' : '') +
      '<table class="landplan-crit"><tr><th>' + m.criterion + '</th><th>' + m.raw + '</th><th>' + m.value +
      '</th><th>' + m.weight + '</th><th>' + m.contribution + '</th></tr>' + rows + '</table>';
    html += reason ? '<div class="landplan-excluded">' + m.excluded + ': ' + reason + '</div>'
      : '<div>' + m.all_passed + '</div>';
    var drivers = this.drivers(i);
    if (drivers) { html += '<div>' + m.top_drivers + ': ' + drivers + '</div>'; }
    var a = d.alloc ? d.alloc[String(i)] : null;
    if (a) {
      html += '<div><b>' + m.reserved_for + ' ' + d.zones[a[0]] + ': ' + fmt(a[1], 0) + ' ' + m.units + '</b></div>';
    }
    if (this.siteNeeds) { html += this.siteNeeds(i); }  /* programme.js: what a housing site needs built */
    return html + '</div>';
  };

  /* ---------------------------------------------------------------- what-if weights */

  LandplanMap.prototype.normalised = function (given) {
    var max = Math.max.apply(null, given);
    var w = given.map(function (x) { return x / max; });
    var sum = w.reduce(function (s, x) { return s + x; }, 0);
    return w.map(function (x) { return x / sum; });
  };

  LandplanMap.prototype.recompute = function (given) {
    var d = this.d, n = this.n, k = d.crit.length;
    var w = this.normalised(given);
    var score = new Array(n);
    for (var i = 0; i < n; i++) {
      var s = d.method === 'weighted_sum' ? 0 : 1, missing = false;
      for (var j = 0; j < k; j++) {
        var v = d.values[j][i];
        if (v === null) { missing = true; break; }
        if (d.method === 'weighted_sum') { s += v * w[j]; } else { s *= Math.pow(Math.min(Math.max(v, 0), 1), w[j]); }
      }
      score[i] = missing ? NaN : s;
    }
    var idx = [];
    for (i = 0; i < n; i++) { if (d.eligible[i] && !isNaN(score[i])) { idx.push(i); } }
    idx.sort(function (a, b) { return (score[b] - score[a]) || (d.order[a] - d.order[b]); });
    var rank = new Array(n), cls = new Array(n);
    for (i = 0; i < n; i++) { rank[i] = null; }
    idx.forEach(function (p, r) { rank[p] = r + 1; });
    for (i = 0; i < n; i++) { cls[i] = d.eligible[i] && !isNaN(score[i]) ? this.classOf(score[i]) : -1; }
    this.score = score.map(function (x) { return isNaN(x) ? null : x; });
    this.rank = rank;
    this.cls = cls;
    this.weights = w;
    this.whatIf = true;
    this.refresh();
  };

  LandplanMap.prototype.classOf = function (s) {
    var bins = this.d.bins;
    for (var j = 0; j < bins.length; j++) { if (bins[j] >= s) { return j; } }
    return bins.length - 1;
  };

  LandplanMap.prototype.reset = function () {
    this.score = this.d.score.slice();
    this.rank = this.d.rank.slice();
    this.cls = this.d.cls.slice();
    this.weights = this.d.weights.slice();
    this.whatIf = false;
    this.refresh();
  };

  LandplanMap.prototype.refresh = function () {
    for (var i = 0; i < this.n; i++) {
      if (this.layers[i]) { this.layers[i].setStyle({ fillColor: this.color(i) }); }
    }
    this.map.closePopup();
    this.buildLabels();
    if (this.status) {
      this.status.innerHTML = this.whatIf ? this.m.what_if_note : '';
    }
  };

  LandplanMap.prototype.toml = function (given) {
    var lines = ['# ' + this.d.toml_note, '[weights]'];
    for (var j = 0; j < this.d.crit.length; j++) { lines.push(this.d.crit[j].key + ' = ' + String(given[j])); }
    return lines.join('\n') + '\n';
  };

  LandplanMap.prototype.whatIfControl = function () {
    var self = this, d = this.d, m = this.m;
    var control = L.control({ position: 'topright' });
    control.onAdd = function () {
      var div = L.DomUtil.create('div', 'landplan-whatif leaflet-bar');
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      var head = L.DomUtil.create('button', 'landplan-whatif-toggle', div);
      head.type = 'button';
      head.innerHTML = m.what_if_weights;
      var body = L.DomUtil.create('div', 'landplan-whatif-body', div);
      body.style.display = 'none';
      head.addEventListener('click', function () {
        body.style.display = body.style.display === 'none' ? '' : 'none';
      });
      if (!d.what_if) {
        body.innerHTML = '<p class="landplan-note">' + m.what_if_unavailable + '</p>';
        return div;
      }
      var sliders = [];
      var table = L.DomUtil.create('table', '', body);
      d.crit.forEach(function (c, j) {
        var tr = L.DomUtil.create('tr', '', table);
        var td = L.DomUtil.create('td', 'landplan-whatif-label', tr);
        td.innerHTML = c.label;
        var input = L.DomUtil.create('input', 'landplan-slider', L.DomUtil.create('td', '', tr));
        input.type = 'range';
        input.min = '0.1';
        input.max = '10';
        input.step = '0.1';
        input.value = String(d.slider[j]);
        input.setAttribute('data-criterion', c.key);
        var out = L.DomUtil.create('td', 'num landplan-whatif-value', tr);
        out.textContent = self.fmt(d.slider[j], 1);
        input.addEventListener('input', function () {
          out.textContent = self.fmt(Number(input.value), 1);
          self.recompute(sliders.map(function (s) { return Number(s.value); }));
        });
        sliders.push(input);
      });
      self.status = L.DomUtil.create('div', 'landplan-note', body);
      var buttons = L.DomUtil.create('div', 'landplan-whatif-buttons', body);
      var reset = L.DomUtil.create('button', 'landplan-reset', buttons);
      reset.type = 'button';
      reset.innerHTML = m.reset;
      var copy = L.DomUtil.create('button', 'landplan-copy', buttons);
      copy.type = 'button';
      copy.innerHTML = m.copy_toml;
      var text = L.DomUtil.create('textarea', 'landplan-toml', body);
      text.readOnly = true;
      text.rows = Math.min(d.crit.length + 2, 10);
      text.style.display = 'none';
      reset.addEventListener('click', function () {
        sliders.forEach(function (s, j) {
          s.value = String(d.slider[j]);
          s.parentNode.nextSibling.textContent = self.fmt(d.slider[j], 1);
        });
        text.style.display = 'none';
        self.reset();
      });
      copy.addEventListener('click', function () {
        text.value = self.toml(sliders.map(function (s) { return Number(s.value); }));
        text.style.display = '';
        text.select();
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(text.value);
        } else {
          try { document.execCommand('copy'); } catch (e) { /* the text stays selected for Ctrl+C */ }
        }
      });
      return div;
    };
    control.addTo(this.map);
  };

  /* ---------------------------------------------------------------- rank labels, decluttered */

  LandplanMap.prototype.labelPoint = function (i) {
    var p = this.d.label_points[String(i)];
    if (p) { return L.latLng(p[0], p[1]); }
    return this.layers[i] ? this.layers[i].getBounds().getCenter() : null;
  };

  LandplanMap.prototype.buildLabels = function () {
    if (!this.labelGroup) { return; }
    this.labelGroup.clearLayers();
    this.markers = {};
    var best = [];
    for (var i = 0; i < this.n; i++) {
      if (this.rank[i] !== null && this.rank[i] <= this.d.top) { best.push(i); }
    }
    var self = this;
    best.sort(function (a, b) { return self.rank[a] - self.rank[b]; });
    this.best = best;
    best.forEach(function (i) {
      var at = self.labelPoint(i);
      if (!at) { return; }
      var text = String(self.rank[i]);
      var w = 10 + 7 * text.length;
      var icon = L.divIcon({ className: 'landplan-rank', iconSize: [w, 16], iconAnchor: [w / 2, 8],
        html: '<div>' + text + '</div>' });
      var marker = L.marker(at, { icon: icon, interactive: false, keyboard: false });
      marker.lpWidth = w;
      self.markers[i] = marker;
      self.labelGroup.addLayer(marker);
    });
    this.declutter();
  };

  /* show a label only when its screen box meets no better-ranked label already shown */
  LandplanMap.prototype.declutter = function () {
    if (!this.best || !this.map.hasLayer(this.labelGroup)) { return; }
    var placed = [], self = this, size = this.map.getSize();
    this.best.forEach(function (i) {
      var marker = self.markers[i];
      if (!marker) { return; }
      var el = marker.getElement();
      if (!el) { return; }
      var p = self.map.latLngToContainerPoint(marker.getLatLng());
      var w = marker.lpWidth, pad = 2;
      var box = [p.x - w / 2 - pad, p.y - 8 - pad, p.x + w / 2 + pad, p.y + 8 + pad];
      var inView = box[2] > 0 && box[3] > 0 && box[0] < size.x && box[1] < size.y;
      var free = inView && placed.every(function (b) {
        return box[2] <= b[0] || box[0] >= b[2] || box[3] <= b[1] || box[1] >= b[3];
      });
      if (free) { placed.push(box); }
      el.style.visibility = free ? '' : 'hidden';
    });
  };

  /* ---------------------------------------------------------------- legend, scale, layer order */

  LandplanMap.prototype.legend = function () {
    var d = this.d, self = this;
    var control = L.control({ position: 'bottomright' });
    control.onAdd = function () {
      var div = L.DomUtil.create('div', 'landplan-legend');
      var html = '<b>' + d.legend_title + '</b>';
      var swatch = function (color, label) {
        return '<div><span class="landplan-swatch" style="background:' + color + '"></span>' + label + '</div>';
      };
      for (var j = d.palette.length - 1; j >= 0; j--) { html += swatch(d.palette[j], d.class_labels[j]); }
      html += swatch(d.excluded_color, d.msg.excluded_legend);
      if (self.facilityLegend) { html += self.facilityLegend(); }  /* programme.js */
      div.innerHTML = html;
      return div;
    };
    control.addTo(this.map);
  };

  /* leaflet-measure has no Vietnamese: its texts (re-rendered as it is used) are replaced in place */
  LandplanMap.prototype.localizeMeasure = function (tries) {
    var self = this, words = this.d.measure || {};
    var root = this.map.getContainer().querySelector('.leaflet-control-measure');
    var units = Object.keys(words).filter(function (k) { return /Meters|Kilometers|Hectares/.test(k); });
    if (!Object.keys(words).length) { return; }
    if (!root) {  // the page's script adds the control after the map is ready
      if ((tries || 0) < 100) { setTimeout(function () { self.localizeMeasure((tries || 0) + 1); }, 20); }
      return;
    }
    var fix = function () {
      var walk = document.createTreeWalker(root, NodeFilter.SHOW_TEXT), node;
      while ((node = walk.nextNode())) {
        var text = node.nodeValue, key = text.trim();
        if (words[key] !== undefined) { text = text.replace(key, words[key]); }
        units.forEach(function (u) { text = text.split(' ' + u).join(' ' + words[u]); });
        if (text !== node.nodeValue) { node.nodeValue = text; }
      }
      root.querySelectorAll('[title]').forEach(function (e) {
        if (words[e.title] !== undefined) { e.title = words[e.title]; }
      });
    };
    fix();
    new MutationObserver(fix).observe(root, { childList: true, subtree: true, characterData: true });
  };

  LandplanMap.prototype.ready = function (labelGroup, backLayers) {
    var self = this, map = this.map;
    this.labelGroup = labelGroup;
    L.control.scale({ metric: true, imperial: false, position: 'bottomleft', maxWidth: 160 }).addTo(map);
    this.legend();
    this.localizeMeasure();
    this.whatIfControl();
    this.buildLabels();
    map.on('zoomend moveend resize', function () { self.declutter(); });
    var order = function () {
      (backLayers || []).forEach(function (g) { if (map.hasLayer(g) && g.bringToBack) { g.bringToBack(); } });
      self.declutter();
    };
    map.on('overlayadd', function () { setTimeout(order, 0); });
    order();
  };

  window.LandplanMap = LandplanMap;
})();
