/* landplan tiled parcel map (MapLibre GL JS; see landplan/outputs/webmap/tiles.py and tiled.py).
 *
 * Parcels come as vector tiles, each a script in <files>/tiles/ calling landplanTile(key, base64 gzip MVT); score
 * cards are built by client.js's LandplanMap.card from data chunks (<files>/cards/<k>.js calling
 * landplanChunk(k, base64 gzip JSON)) loaded on the first click into their range. Scripts, not fetch: Chromium
 * refuses fetch and XMLHttpRequest of file:// URLs but runs <script src> from the same folder. Every text of the
 * data was HTML-escaped in Python, so it is inserted as markup as it is.
 */
(function () {
  'use strict';

  var pending = {};   /* key -> [resolve, ...] for tiles and chunks being loaded */

  function b64bytes(text) {
    var bin = atob(text), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { out[i] = bin.charCodeAt(i); }
    return out;
  }

  function gunzip(bytes) {
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Response(stream).arrayBuffer();
  }

  function loadScript(key, src) {
    return new Promise(function (resolve, reject) {
      if (pending[key]) { pending[key].push(resolve); return; }
      pending[key] = [resolve];
      var s = document.createElement('script');
      s.src = src;
      s.onerror = function () { delete pending[key]; reject(new Error('cannot read ' + src)); };
      document.head.appendChild(s);
    });
  }

  function deliver(key, payload) {
    var waiting = pending[key] || [];
    delete pending[key];
    waiting.forEach(function (resolve) { resolve(payload); });
  }

  /* the text landplan.outputs.escape.html_text makes of a string: ids are held escaped in the chunks */
  function escapeHtml(text) {
    return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
      .replace(/'/g, '&#x27;').replace(/\{/g, '&#123;').replace(/\}/g, '&#125;').replace(/%/g, '&#37;');
  }

  /* an escaped message as plain text (for attributes such as a placeholder) */
  function plain(html) {
    var t = document.createElement('textarea');
    t.innerHTML = html;
    return t.value;
  }

  /* strings in code-point order, as numpy sorts them in Python (JS's < compares UTF-16 units) */
  function compareCodePoints(a, b) {
    var i = 0, j = 0;
    while (i < a.length && j < b.length) {
      var x = a.codePointAt(i), y = b.codePointAt(j);
      if (x !== y) { return x < y ? -1 : 1; }
      i += x > 0xffff ? 2 : 1;
      j += y > 0xffff ? 2 : 1;
    }
    return (i < a.length ? 1 : 0) - (j < b.length ? 1 : 0);
  }

  window.landplanTile = function (key, text) { deliver('tile:' + key, text); };
  window.landplanChunk = function (k, text) { deliver('chunk:' + k, text); };

  function LandplanTiles(container, files, data) {
    var self = this;
    this.files = files;
    this.d = data;
    this.m = data.msg;
    this.fmt = null;
    this.tiles = {};
    data.tile_keys.forEach(function (k) { self.tiles[k] = true; });
    this.chunks = {};
    this.loaded = 0;
    this.ready = false;
    window.landplan = this;
    maplibregl.addProtocol('landplan', function (params) { return self.tile(params.url); });
    var b = data.bounds;
    this.map = new maplibregl.Map({
      container: container,
      style: this.style(),
      bounds: [[b[0], b[1]], [b[2], b[3]]],
      fitBoundsOptions: { padding: 20 },
      attributionControl: false,
      maxZoom: 20,
      fadeDuration: 0
    });
    this.map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-left');
    this.map.addControl(new maplibregl.ScaleControl({ unit: 'metric', maxWidth: 160 }), 'bottom-left');
    this.map.on('load', function () { self.onLoad(); });
  }

  LandplanTiles.prototype.tile = function (url) {
    var key = url.replace('landplan://', '');
    if (!this.tiles[key]) { return Promise.resolve({ data: new ArrayBuffer(0) }); }
    var self = this;
    return loadScript('tile:' + key, this.files + '/tiles/' + key + '.js').then(function (text) {
      return gunzip(b64bytes(text));
    }).then(function (buf) { self.loaded++; return { data: buf }; });
  };

  LandplanTiles.prototype.chunk = function (k) {
    var self = this;
    if (this.chunks[k]) { return Promise.resolve(this.chunks[k]); }
    return loadScript('chunk:' + k, this.files + '/cards/' + k + '.js').then(function (text) {
      return gunzip(b64bytes(text));
    }).then(function (buf) {
      var chunk = JSON.parse(new TextDecoder('utf-8').decode(buf));
      self.chunks[k] = chunk;
      return chunk;
    });
  };

  LandplanTiles.prototype.classColor = function () {
    var expr = ['match', ['get', 'c']];
    this.d.palette.forEach(function (color, j) { expr.push(j, color); });
    expr.push(this.d.excluded_color);
    return expr;
  };

  LandplanTiles.prototype.style = function () {
    var d = this.d, z = d.tile_zoom, o = d.overlays;
    var sources = {
      parcels: { type: 'vector', tiles: ['landplan://{z}/{x}/{y}'], minzoom: z, maxzoom: z, bounds: d.bounds,
        promoteId: 'i' },
      overview: { type: 'image', url: window.landplanOverview, coordinates: d.overview.corners },
      reserved: { type: 'geojson', data: o.reserved },
      zones: { type: 'geojson', data: o.zones },
      buffers: { type: 'geojson', data: o.buffers }
    };
    var layers = [{ id: 'background', type: 'background', paint: { 'background-color': '#f4f4f0' } }];
    o.context.forEach(function (c, j) {
      sources['context' + j] = { type: 'geojson', data: c.data };
      var paint = c.kind === 'water' ? { 'fill-color': '#a6cee3', 'fill-outline-color': '#4a90c2' } : null;
      layers.push(c.kind === 'water'
        ? { id: 'context' + j, type: 'fill', source: 'context' + j, paint: paint }
        : { id: 'context' + j, type: 'line', source: 'context' + j, paint: c.kind === 'roads'
          ? { 'line-color': '#7f7f7f', 'line-width': 2 }
          : { 'line-color': '#4d4d4d', 'line-width': 1.5, 'line-dasharray': [4, 3] } });
    });
    layers.push(
      { id: 'zones-fill', type: 'fill', source: 'zones', paint: { 'fill-color': d.zone_color, 'fill-opacity': 0.3 } },
      { id: 'zones-line', type: 'line', source: 'zones', paint: { 'line-color': d.zone_color, 'line-width': 2 } },
      { id: 'buffers', type: 'line', source: 'buffers',
        paint: { 'line-color': d.zone_color, 'line-width': 1, 'line-dasharray': [3, 3] } },
      { id: 'overview', type: 'raster', source: 'overview', maxzoom: z,
        paint: { 'raster-opacity': 0.85, 'raster-resampling': 'nearest', 'raster-fade-duration': 0 } },
      { id: 'parcels', type: 'fill', source: 'parcels', 'source-layer': 'parcels', minzoom: z,
        paint: { 'fill-color': this.classColor(), 'fill-opacity': 0.75 } },
      { id: 'parcels-line', type: 'line', source: 'parcels', 'source-layer': 'parcels', minzoom: z + 1,
        paint: { 'line-color': '#444444', 'line-width': 0.5 } },
      { id: 'parcels-hover', type: 'line', source: 'parcels', 'source-layer': 'parcels', minzoom: z,
        paint: { 'line-color': '#000000',
          'line-width': ['case', ['boolean', ['feature-state', 'hover'], false], 2, 0] } },
      { id: 'reserved', type: 'line', source: 'reserved', paint: { 'line-color': '#08306b', 'line-width': 2.5 } }
    );
    return { version: 8, sources: sources, layers: layers };
  };

  LandplanTiles.prototype.onLoad = function () {
    var self = this, map = this.map;
    map.on('click', function (e) { self.click(e); });
    map.on('mousemove', function (e) { self.hover(e); });
    map.getCanvas().addEventListener('mouseleave', function () { self.hover(null); });
    this.toggles = { labels: function (on) { self.showLabels(on); } };
    this.facilities();
    this.legend();
    this.searchControl();
    this.layerControl();
    this.whatIfControl();
    this.labels(this.d.best);
    map.once('idle', function () { self.ready = true; });
  };

  /* a view of one chunk with LandplanMap's card code: the same card and tooltip as the small map */
  LandplanTiles.prototype.view = function (chunk) {
    if (chunk.view) { return chunk.view; }
    var v = Object.create(window.LandplanMap.prototype);
    v.d = Object.assign({}, this.d, chunk);
    v.m = this.m;
    v.n = chunk.ids.length;
    v.fmt = this.numberFormat();
    v.whatIf = false;
    v.score = chunk.score;
    v.rank = chunk.rank;
    v.cls = chunk.cls;
    v.weights = this.d.weights;
    if (this.d.fac) { v.d.fac = Object.assign({}, this.d.fac, { sites: chunk.fac_sites || {} }); }
    chunk.view = v;
    return v;
  };

  LandplanTiles.prototype.numberFormat = function () {
    if (!this.fmt) {
      var locale = this.d.lang === 'vi' ? 'vi-VN' : 'en-GB', cache = {};
      this.fmt = function (x, decimals) {
        if (x === null || x === undefined || typeof x !== 'number' || isNaN(x)) { return '\u2014'; }
        var f = cache[decimals] || (cache[decimals] = new Intl.NumberFormat(locale,
          { minimumFractionDigits: decimals, maximumFractionDigits: decimals }));
        return f.format(x);
      };
    }
    return this.fmt;
  };

  LandplanTiles.prototype.card = function (i) {
    var self = this, size = this.d.chunk, k = Math.floor(i / size);
    return this.chunk(k).then(function (chunk) { return self.current(chunk, k).card(i % size); });
  };

  /* the chunk's view, with the what-if scores, ranks and weights when sliders moved them */
  LandplanTiles.prototype.current = function (chunk, k) {
    var v = this.view(chunk), wi = this.wi;
    if (!wi) { return v; }
    var a = k * this.d.chunk, b = a + chunk.ids.length, w = Object.create(v);
    w.score = Array.prototype.map.call(wi.score.subarray(a, b), function (x) { return isNaN(x) ? null : x; });
    w.rank = Array.prototype.map.call(wi.rank.subarray(a, b), function (r) { return r > 0 ? r : null; });
    w.cls = Array.prototype.slice.call(wi.cls.subarray(a, b));
    w.weights = wi.weights;
    w.whatIf = true;
    return w;
  };

  /* the position of a parcel id in the chunks (null: no such id): the chunks are in id order, so the first id
     of each (id_fences) names the one chunk that may hold it; no second copy of the ids is shipped */
  LandplanTiles.prototype.find = function (query) {
    var key = escapeHtml(String(query).trim()), fences = this.d.id_fences, size = this.d.chunk;
    var lo = 0, hi = fences.length - 1, k = -1;
    if (!key) { return Promise.resolve(null); }
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      if (compareCodePoints(fences[mid], key) <= 0) { k = mid; lo = mid + 1; } else { hi = mid - 1; }
    }
    if (k < 0) { return Promise.resolve(null); }
    return this.chunk(k).then(function (chunk) {
      var j = chunk.ids.indexOf(key);
      return j < 0 ? null : k * size + j;
    });
  };

  /* fly to a parcel (a point inside it) and open its card, as the small map's search box does */
  LandplanTiles.prototype.go = function (i) {
    var self = this, size = this.d.chunk, o = this.d.pt_origin;
    return this.chunk(Math.floor(i / size)).then(function (chunk) {
      var j = i % size, at = [o[0] + chunk.pt[2 * j] / 1e5, o[1] + chunk.pt[2 * j + 1] / 1e5];
      var html = self.current(chunk, Math.floor(i / size)).card(j);
      var opened = false, open = function () { if (!opened) { opened = true; self.popup(at, html); } };
      if (self.open) { self.open.remove(); }
      self.map.once('moveend', open);
      self.map.flyTo({ center: at, zoom: 17, maxDuration: 2000 });
      setTimeout(open, 2500);  /* a flight of no distance may end without a moveend */
    });
  };

  LandplanTiles.prototype.searchControl = function () {
    var self = this, d = this.d;
    var form = document.createElement('form');
    form.className = 'landplan-search';
    var input = document.createElement('input');
    input.type = 'search';
    input.placeholder = plain(d.search_placeholder);
    input.setAttribute('aria-label', plain(d.search_placeholder));
    var button = document.createElement('button');
    button.type = 'submit';
    button.innerHTML = d.search_button;
    var note = document.createElement('div');
    note.className = 'landplan-search-note';
    note.style.display = 'none';
    form.onsubmit = function (ev) {
      ev.preventDefault();
      var query = input.value.trim();
      note.style.display = 'none';
      if (!query) { return; }
      self.find(query).then(function (i) {
        if (i !== null) { self.go(i); return; }
        note.innerHTML = d.search_none + ' ';
        var q = document.createElement('b');
        q.textContent = query;  /* what was typed, as text */
        note.appendChild(q);
        note.style.display = '';
      });
    };
    form.appendChild(input);
    form.appendChild(button);
    form.appendChild(note);
    this.map.getContainer().appendChild(form);
  };

  LandplanTiles.prototype.click = function (e) {
    var self = this, map = this.map;
    var hit = map.queryRenderedFeatures(e.point, { layers: ['parcels'] });
    if (hit.length) {
      var i = hit[0].properties.i;
      this.card(i).then(function (html) {
        self.popup(e.lngLat, html);
      });
      return;
    }
    var zone = map.queryRenderedFeatures(e.point, { layers: ['zones-fill'] });
    if (zone.length) { this.popup(e.lngLat, this.zoneCard(zone[0].properties)); return; }
    if (map.getZoom() < this.d.tile_zoom) {
      map.easeTo({ center: e.lngLat, zoom: this.d.tile_zoom + 1.5, duration: 300 });
    }
  };

  /* hover: the parcel's tooltip (its chunk read once) and a dark outline, else the zone's fields */
  LandplanTiles.prototype.hover = function (e) {
    var self = this, map = this.map, size = this.d.chunk;
    var hit = e ? map.queryRenderedFeatures(e.point, { layers: ['parcels'] }) : [];
    var zone = e && !hit.length ? map.queryRenderedFeatures(e.point, { layers: ['zones-fill'] }) : [];
    map.getCanvas().style.cursor = hit.length || zone.length ? 'pointer' : '';
    var i = hit.length ? hit[0].properties.i : null;
    if (i !== this.hovered && this.hovered !== null && this.hovered !== undefined) {
      map.setFeatureState({ source: 'parcels', sourceLayer: 'parcels', id: this.hovered }, { hover: false });
    }
    if (i !== null) { map.setFeatureState({ source: 'parcels', sourceLayer: 'parcels', id: i }, { hover: true }); }
    this.hovered = i;
    this.at = e ? e.lngLat : null;
    if (i !== null) {
      this.chunk(Math.floor(i / size)).then(function (chunk) {
        if (self.hovered === i) { self.tooltip(self.current(chunk, Math.floor(i / size)).tip(i % size)); }
      });
    } else if (zone.length) {
      this.tooltip(this.zoneCard(zone[0].properties));
    } else {
      this.tooltip(null);
    }
  };

  LandplanTiles.prototype.tooltip = function (html) {
    if (html === null || !this.at) {
      if (this.tip) { this.tip.remove(); this.tip = null; }
      return;
    }
    if (!this.tip) {
      this.tip = new maplibregl.Popup({ closeButton: false, closeOnClick: false, className: 'landplan-tooltip',
        offset: 14, maxWidth: '360px', focusAfterOpen: false });
      this.tip.setLngLat(this.at).setHTML(html).addTo(this.map);
      this.tipHtml = html;
      return;
    }
    this.tip.setLngLat(this.at);
    if (html !== this.tipHtml) { this.tip.setHTML(html); this.tipHtml = html; }
  };

  LandplanTiles.prototype.popup = function (at, html) {
    if (this.open) { this.open.remove(); }
    this.open = new maplibregl.Popup({ maxWidth: '480px' }).setLngLat(at).setHTML(html).addTo(this.map);
  };

  LandplanTiles.prototype.zoneCard = function (p) {
    var titles = this.d.zone_titles, fields = this.d.zone_fields, rows = '';
    for (var j = 0; j < fields.length; j++) {
      rows += '<tr><th>' + titles[j] + '</th><td class="num">' + (p[fields[j]] || '') + '</td></tr>';
    }
    return '<div class="landplan-card"><table>' + rows + '</table></div>';
  };

  LandplanTiles.prototype.legend = function () {
    var d = this.d, div = document.createElement('div');
    div.className = 'landplan-legend landplan-tiles-legend';
    var html = '<b>' + d.legend_title + '</b>';
    var swatch = function (color, label) {
      return '<div><span class="landplan-swatch" style="background:' + color + '"></span>' + label + '</div>';
    };
    for (var j = d.palette.length - 1; j >= 0; j--) { html += swatch(d.palette[j], d.class_labels[j]); }
    html += swatch(d.excluded_color, d.msg.excluded_legend);
    if (this.facView) { html += this.facView.facilityLegend(); }  /* programme.js, as on the small map */
    html += '<div class="landplan-note">' + d.zoom_note + '</div>';
    div.innerHTML = html;
    this.map.getContainer().appendChild(div);
  };

  /* the column of panels at the top right (layers, what-if weights): opening one pushes the next down */
  LandplanTiles.prototype.rightColumn = function () {
    if (!this.column) {
      this.column = document.createElement('div');
      this.column.className = 'landplan-right';
      this.map.getContainer().appendChild(this.column);
    }
    return this.column;
  };

  LandplanTiles.prototype.layerControl = function () {
    var self = this, map = this.map, d = this.d;
    var box = document.createElement('div');
    box.className = 'landplan-layers';
    var button = document.createElement('button');
    button.className = 'landplan-layers-toggle';
    button.innerHTML = d.layers_title;
    var body = document.createElement('div');
    body.className = 'landplan-layers-body';
    body.style.display = 'none';
    button.onclick = function () { body.style.display = body.style.display === 'none' ? '' : 'none'; };
    d.groups.forEach(function (g) {
      var ids = g.layers.filter(function (id) { return map.getLayer(id); }), toggle = self.toggles[g.key];
      if (!ids.length && !toggle) { return; }
      var label = document.createElement('label');
      var input = document.createElement('input');
      input.type = 'checkbox';
      input.checked = g.show !== false;
      input.setAttribute('data-layer', g.key);
      input.onchange = function () {
        ids.forEach(function (id) { map.setLayoutProperty(id, 'visibility', input.checked ? 'visible' : 'none'); });
        if (toggle) { toggle(input.checked); }
      };
      label.appendChild(input);
      label.insertAdjacentHTML('beforeend', ' ' + g.title);
      body.appendChild(label);
    });
    box.appendChild(button);
    box.appendChild(body);
    this.rightColumn().appendChild(box);
  };

  /* the facility programme (programme.js's data, cards and legend): reserved facility land as squares above their
     point, side by side on a shared host; existing facilities as rounds, full ones grey dashed, hidden at first */
  LandplanTiles.prototype.facilities = function () {
    var self = this, d = this.d, f = d.fac, map = this.map;
    if (!f || (!f.land.length && !f.existing.length)) { return; }
    var v = Object.create(window.LandplanMap.prototype);
    v.d = d;
    v.m = this.m;
    v.fmt = this.numberFormat();
    this.facView = v;
    var marker = function (r, cls, j, title, offset, card) {
      var k = f.kinds[r[2]], el = document.createElement('div');
      var style = cls === 'landplan-fac' ? 'background:' + k.color : 'border-color:' + k.color + ';color:' + k.color;
      if (cls.indexOf('full') >= 0) { style = ''; }
      el.className = cls;
      el.innerHTML = '<div data-row="' + j + '" style="' + style + '" title="' + title + '">' + k.letter + '</div>';
      el.addEventListener('click', function (ev) {
        ev.stopPropagation();  /* the facility's card, not the parcel's under it */
        self.popup([r[1], r[0]], card(r));
      });
      return new maplibregl.Marker({ element: el, offset: offset }).setLngLat([r[1], r[0]]);
    };
    var land = f.land.map(function (r, j) {
      var dx = (r[12] - (r[13] - 1) / 2) * 20;  /* side by side, just above the point: the parcel stays clickable */
      return marker(r, 'landplan-fac', j, f.kinds[r[2]].name, [dx, -18], function (x) { return v.landCard(x); });
    });
    var existing = f.existing.map(function (r, j) {
      var full = r[7] !== null && r[7] <= 0;
      var cls = 'landplan-fac-old' + (full ? ' landplan-fac-full' : '');
      return marker(r, cls, j, r[3], [0, 0], function (x) { return v.existingCard(x); });
    });
    var show = function (markers, on) {
      markers.forEach(function (m) { if (on) { m.addTo(map); } else { m.remove(); } });
    };
    show(land, true);
    this.toggles['fac-land'] = function (on) { show(land, on); };
    this.toggles['fac-existing'] = function (on) { show(existing, on); };
    var far = function () { map.getContainer().classList.toggle('lp-fac-far', map.getZoom() < 14); };
    map.on('zoom', far);
    far();
  };

  /* rank labels of the top parcels (HTML markers: no glyphs needed), decluttered on screen; best: [rank, lon, lat] */
  LandplanTiles.prototype.labels = function (best) {
    var self = this, map = this.map;
    (this.markers || []).forEach(function (mw) { mw[0].remove(); });
    this.markers = [];
    best.forEach(function (b) {
      var el = document.createElement('div');
      el.className = 'landplan-rank';
      var text = String(b[0]), w = 10 + 7 * text.length;
      el.innerHTML = '<div style="width:' + w + 'px">' + text + '</div>';
      el.setAttribute('data-rank', text);
      var marker = new maplibregl.Marker({ element: el }).setLngLat([b[1], b[2]]).addTo(map);
      self.markers.push([marker, w]);
    });
    if (this.labelsOn === undefined) {
      this.labelsOn = true;
      map.on('moveend', function () { self.declutter(); });
    }
    this.declutter();
  };

  LandplanTiles.prototype.showLabels = function (on) {
    this.labelsOn = on;
    this.declutter();
  };

  LandplanTiles.prototype.declutter = function () {
    var placed = [], map = this.map, self = this;
    this.markers.forEach(function (mw) {
      var p = map.project(mw[0].getLngLat()), w = mw[1], pad = 2;
      var box = [p.x - w / 2 - pad, p.y - 8 - pad, p.x + w / 2 + pad, p.y + 8 + pad];
      var free = self.labelsOn && placed.every(function (b) {
        return box[2] <= b[0] || box[0] >= b[2] || box[3] <= b[1] || box[1] >= b[3];
      });
      if (free) { placed.push(box); }
      mw[0].getElement().style.visibility = free ? '' : 'hidden';
    });
  };

  /* ---------------------------------------------------------------- what-if weights (see DESIGN.md) */

  /* every parcel's 0-1 values, eligibility and point in typed arrays, read once from all chunks (each chunk kept
     in the cache only if it was there already, so memory stays at a few arrays of numbers) */
  LandplanTiles.prototype.allValues = function () {
    if (this.valuesRead) { return this.valuesRead; }
    var self = this, d = this.d, size = d.chunk, nChunks = d.id_fences.length, k = d.crit.length;
    var cap = nChunks * size, out = { n: 0, values: [], eligible: new Uint8Array(cap), pt: new Int32Array(2 * cap) };
    for (var j = 0; j < k; j++) { out.values.push(new Float64Array(cap)); }
    var step = function (c) {
      if (c >= nChunks) { return Promise.resolve(out); }
      var kept = !!self.chunks[c];
      return self.chunk(c).then(function (chunk) {
        var a = c * size, m = chunk.ids.length;
        for (var j = 0; j < k; j++) {
          var v = chunk.values[j], dst = out.values[j];
          for (var i = 0; i < m; i++) { dst[a + i] = v[i] === null ? NaN : v[i]; }
        }
        for (var i = 0; i < m; i++) { out.eligible[a + i] = chunk.eligible[i]; }
        out.pt.set(chunk.pt, 2 * a);
        out.n = a + m;
        if (!kept) { delete self.chunks[c]; }
        return step(c + 1);
      });
    };
    this.valuesRead = step(0);
    return this.valuesRead;
  };

  /* the small map's recompute (client.js) over typed arrays: scores, classes, ranks (ties by id order) */
  LandplanTiles.prototype.recompute = function (given) {
    var self = this, d = this.d;
    return this.allValues().then(function (all) {
      var n = all.n, k = d.crit.length, w = window.LandplanMap.prototype.normalised(given), i, j;
      var score = new Float64Array(n), cls = new Int8Array(n), rank = new Int32Array(n), idx = [];
      var sum = d.method === 'weighted_sum';
      for (i = 0; i < n; i++) {
        var s = sum ? 0 : 1;
        for (j = 0; j < k; j++) {
          var v = all.values[j][i];
          s = sum ? s + v * w[j] : s * Math.pow(Math.min(Math.max(v, 0), 1), w[j]);
        }
        score[i] = s;
        if (all.eligible[i] && !isNaN(s)) { idx.push(i); }
      }
      idx.sort(function (a, b) { return (score[b] - score[a]) || (a - b); });
      cls.fill(-1);
      for (j = 0; j < idx.length; j++) {
        rank[idx[j]] = j + 1;
        cls[idx[j]] = window.LandplanMap.prototype.classOf.call({ d: d }, score[idx[j]]);
      }
      self.wi = { score: score, rank: rank, cls: cls, weights: w };
      var best = idx.slice(0, d.top).map(function (p, r) {
        return [r + 1, d.pt_origin[0] + all.pt[2 * p] / 1e5, d.pt_origin[1] + all.pt[2 * p + 1] / 1e5];
      });
      self.recolour(cls, best);
    });
  };

  /* new classes reach the renderer as one data-driven expression: the class at the feature's i */
  LandplanTiles.prototype.recolour = function (cls, best) {
    var map = this.map, d = this.d;
    if (this.open) { this.open.remove(); }
    if (cls) {
      var expr = ['match', ['at', ['get', 'i'], ['literal', Array.prototype.slice.call(cls)]]];
      d.palette.forEach(function (color, j) { expr.push(j, color); });
      expr.push(d.excluded_color);
      map.setPaintProperty('parcels', 'fill-color', expr);
    } else {
      map.setPaintProperty('parcels', 'fill-color', this.classColor());
    }
    map.setLayoutProperty('overview', 'visibility', cls ? 'none' : 'visible');  /* the image has the scenario's */
    this.labels(best);
    if (this.status) { this.status.innerHTML = cls ? d.msg.what_if_note + ' ' + d.what_if_zoom : ''; }
    var self = this, count = (this.recoloured || 0) + 1;
    this.recoloured = count;
    map.once('idle', function () { self.drawn = count; });  /* benchmarks: the new colours are on screen */
  };

  LandplanTiles.prototype.whatIfControl = function () {
    var self = this, d = this.d, m = this.m;
    var div = document.createElement('div');
    div.className = 'landplan-whatif landplan-tiles-whatif';
    var head = document.createElement('button');
    head.type = 'button';
    head.className = 'landplan-whatif-toggle';
    head.innerHTML = m.what_if_weights;
    var body = document.createElement('div');
    body.className = 'landplan-whatif-body';
    body.style.display = 'none';
    head.addEventListener('click', function () { body.style.display = body.style.display === 'none' ? '' : 'none'; });
    div.appendChild(head);
    div.appendChild(body);
    this.rightColumn().appendChild(div);
    if (!d.what_if) { body.innerHTML = '<p class="landplan-note">' + m.what_if_unavailable + '</p>'; return; }
    var sliders = [], table = document.createElement('table'), busy = false, again = null;
    var run = function (given) {
      if (busy) { again = given; return; }
      busy = true;
      self.recompute(given).then(function () {
        busy = false;
        if (again) { var g = again; again = null; run(g); }
      });
    };
    d.crit.forEach(function (c, j) {
      var tr = document.createElement('tr'), td = document.createElement('td'), cell = document.createElement('td');
      td.className = 'landplan-whatif-label';
      td.innerHTML = c.label;
      var input = document.createElement('input');
      input.className = 'landplan-slider';
      input.type = 'range';
      input.min = '0.1';
      input.max = '10';
      input.step = '0.1';
      input.value = String(d.slider[j]);
      input.setAttribute('data-criterion', c.key);
      var out = document.createElement('td');
      out.className = 'num landplan-whatif-value';
      out.textContent = self.numberFormat()(d.slider[j], 1);
      input.addEventListener('input', function () {
        out.textContent = self.numberFormat()(Number(input.value), 1);
        run(sliders.map(function (x) { return Number(x.value); }));
      });
      cell.appendChild(input);
      tr.appendChild(td);
      tr.appendChild(cell);
      tr.appendChild(out);
      table.appendChild(tr);
      sliders.push(input);
    });
    body.appendChild(table);
    this.status = document.createElement('div');
    this.status.className = 'landplan-note';
    body.appendChild(this.status);
    var reset = document.createElement('button');
    reset.type = 'button';
    reset.className = 'landplan-reset';
    reset.innerHTML = m.reset;
    var copy = document.createElement('button');
    copy.type = 'button';
    copy.className = 'landplan-copy';
    copy.innerHTML = m.copy_toml;
    var text = document.createElement('textarea');
    text.className = 'landplan-toml';
    text.readOnly = true;
    text.rows = Math.min(d.crit.length + 2, 10);
    text.style.display = 'none';
    body.appendChild(reset);
    body.appendChild(copy);
    body.appendChild(text);
    reset.addEventListener('click', function () {
      sliders.forEach(function (x, j) {
        x.value = String(d.slider[j]);
        x.parentNode.nextSibling.textContent = self.numberFormat()(d.slider[j], 1);
      });
      text.style.display = 'none';
      self.wi = null;
      self.recolour(null, d.best);
    });
    copy.addEventListener('click', function () {
      text.value = window.LandplanMap.prototype.toml.call({ d: d }, sliders.map(function (x) { return Number(x.value); }));
      text.style.display = '';
      text.select();
    });
  };

  window.LandplanTiles = LandplanTiles;
})();
