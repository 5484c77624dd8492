/* The book's charts: drawn at build time, made live with the Vega runtime when a reader reaches for them.
 *
 * Each chart is a <div class="usrubook-chart"> holding two drawings made at build time (inline SVG, for a phone's
 * column and a laptop's; the stylesheet shows the one that fits and gives it the dark theme's colours), and naming
 * its compiled Vega spec, _charts/<id>.js (data-spec), made by usrubook.book.figures. Nothing more is loaded while
 * the reader reads. When a pointer enters a chart or a finger taps it, this script loads the Vega runtime
 * (_static/usrubook-vega.js, once per page) and the chart's spec, and draws the chart live:
 *  - as SVG, as wide as its container, kept fitted when the container changes;
 *  - re-drawn with the spec's dark configuration when the theme switches to dark mode, and back;
 *  - with tooltips that show no empty fields;
 *  - on touch, a tapped mark's tooltip fields in a card below the chart, with the link to the passage behind it
 *    (the first tap, which made the chart live, shows the card of the mark under the finger); with a mouse, a
 *    click opens the passage at once (the Data view beside the chart has the same links for keyboards, and
 *    needs no script).
 * Texts the Data view shows (a seed's words) are not repeated in the spec: it names their cells, read back here.
 * Nothing is fetched from outside the book; scripts, not fetch(), so that pages opened from disk work too.
 */
(function () {
  "use strict";
  var charts = [];
  var tip = null;
  var here = document.currentScript ? document.currentScript.src : "";
  var vegaLoaded = null;
  var lastTouch = 0;   // when the reader last touched the page (a touch shows a card, not a tooltip)

  function isDark() { return document.documentElement.dataset.theme === "dark"; }

  function isEmpty(v) {
    return v === null || v === undefined || v === "" || v === "null" || v === "undefined" ||
      (typeof v === "number" && isNaN(v));
  }

  function merge(target, source) {
    Object.keys(source).forEach(function (k) {
      var s = source[k], t = target[k];
      if (s && typeof s === "object" && !Array.isArray(s) && t && typeof t === "object" && !Array.isArray(t)) {
        merge(t, s);
      } else {
        target[k] = s;
      }
    });
    return target;
  }

  function swap(node, colours) {
    if (typeof node === "string") { return Object.prototype.hasOwnProperty.call(colours, node) ? colours[node] : node; }
    if (Array.isArray(node)) { return node.map(function (x) { return swap(x, colours); }); }
    if (node && typeof node === "object") {
      var out = {};
      Object.keys(node).forEach(function (k) { out[k] = swap(node[k], colours); });
      return out;
    }
    return node;
  }

  /* The spec to draw: the compact variant if the container is narrow, and the dark theme applied if asked for. */
  function specFor(chart, dark) {
    var spec = JSON.parse(chart.json);
    var meta = spec.usermeta || {};
    chart.narrow = !!(meta.narrow && available(chart.el) < meta.narrow_below);
    if (chart.narrow) {
      spec = meta.narrow;
      spec.usermeta = meta;
    }
    var theme = spec.usermeta && spec.usermeta.dark;
    if (dark && theme) {
      Object.keys(spec).forEach(function (k) {
        if (k !== "data" && k !== "usermeta") { spec[k] = swap(spec[k], theme.colours); }
      });
      spec.config = merge(spec.config || {}, theme.config);
      spec.background = "transparent";
    }
    return spec;
  }

  /* Signals that size concatenated panels (Vega-Lite cannot size those to a container). */
  function panelWidths(spec) {
    var names = [];
    (spec.signals || []).forEach(function (s) {
      if (typeof s.value === "number" && /(^|_)width$|^childWidth$/.test(s.name)) { names.push([s.name, s.value]); }
    });
    if (typeof spec.width === "number") { names.push(["width", spec.width]); }
    return names;
  }

  function available(el) {
    var style = getComputedStyle(el);
    return el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  }

  /* Fit a chart of concatenated panels: shrink its panels (never beyond their designed width) until the
     drawing is no wider than the container. Single views fit themselves (autosize fit-x). */
  function fit(chart) {
    var view = chart.view;
    if (!view || chart.autosized || !chart.panels.length) { return Promise.resolve(); }
    var columns = (chart.spec.layout && chart.spec.layout.columns === 1) || chart.spec.layout === undefined;
    function step(round) {
      var svg = chart.el.querySelector("svg");
      var drawn = svg ? parseFloat(svg.getAttribute("width")) : 0;
      var avail = available(chart.el);
      var current = chart.panels.map(function (p) { return view.signal(p[0]); });
      var row = columns ? Math.max.apply(null, current) : current.reduce(function (a, b) { return a + b; }, 0);
      var design = columns ? Math.max.apply(null, chart.panels.map(function (p) { return p[1]; }))
        : chart.panels.reduce(function (a, p) { return a + p[1]; }, 0);
      var target = Math.min(design, row + (avail - drawn));
      if (round > 2 || Math.abs(target - row) < 1) { return Promise.resolve(); }
      var factor = Math.max(target, 60) / row;
      chart.panels.forEach(function (p, i) {
        view.signal(p[0], Math.min(p[1], Math.max(30, Math.floor(current[i] * factor))));
      });
      return view.runAsync().then(function () { return step(round + 1); });
    }
    return step(0);
  }

  /* The fields a tooltip shows, as [name, text] rows, without empty fields. */
  function fields(value) {
    var rows = [];
    if (value && typeof value === "object") {
      Object.keys(value).forEach(function (k) { if (!isEmpty(value[k])) { rows.push([k, String(value[k])]); } });
    } else if (!isEmpty(value)) {
      rows.push(["", String(value)]);
    }
    return rows;
  }

  function fieldTable(rows) {
    var table = document.createElement("table");
    rows.forEach(function (r) {
      var tr = table.insertRow();
      if (r[0]) { var th = document.createElement("th"); th.scope = "row"; th.textContent = r[0]; tr.appendChild(th); }
      var td = tr.insertCell(); td.textContent = r[1];
      if (!r[0]) { td.colSpan = 2; }
    });
    return table;
  }

  function showTip(handler, event, item, value) {
    if (!tip) {
      tip = document.createElement("div");
      tip.id = "usrubook-tooltip";
      tip.setAttribute("role", "tooltip");
      document.body.appendChild(tip);
    }
    var rows = fields(value);
    // a touch shows the mark's card below the chart instead (showCard)
    var touched = (event && event.pointerType && event.pointerType !== "mouse") || Date.now() - lastTouch < 1500;
    if (!rows.length || !event || touched) { tip.hidden = true; return; }
    tip.textContent = "";
    tip.appendChild(fieldTable(rows));
    tip.hidden = false;
    var x = event.clientX + 14, y = event.clientY + 14;
    var w = tip.offsetWidth, h = tip.offsetHeight;
    if (x + w > window.innerWidth - 8) { x = Math.max(8, window.innerWidth - w - 8); }
    if (y + h > window.innerHeight - 8) { y = Math.max(8, event.clientY - h - 14); }
    tip.style.left = x + "px";
    tip.style.top = y + "px";
  }

  /* The card below a chart for a tapped mark: the fields its tooltip shows (a seed's words among them), then the
     link to the passage behind it, if any. */
  function showCard(chart, item) {
    var card = chart.card, datum = item.datum || {};
    if (!card) { return; }
    var rows = fields(item.tooltip);
    if (!rows.length && !datum.passage) { card.hidden = true; return; }
    card.textContent = "";
    var shown = rows.map(function (r) { return r[1]; });
    if (datum.quote && shown.indexOf(String(datum.quote)) < 0) {
      var q = document.createElement("blockquote");
      q.textContent = "\u201c" + datum.quote + "\u201d";
      card.appendChild(q);
    }
    if (rows.length) { card.appendChild(fieldTable(rows)); }
    var p = document.createElement("p");
    if (datum.passage) {
      if (datum.source && shown.indexOf(String(datum.source)) < 0) { p.appendChild(document.createTextNode(datum.source + ": ")); }
      var a = document.createElement("a");
      a.href = datum.passage;
      a.textContent = "open the passage";
      p.appendChild(a);
      p.appendChild(document.createTextNode(" "));
    }
    var close = document.createElement("button");
    close.type = "button";
    close.textContent = "Close";
    close.addEventListener("click", function () { card.hidden = true; });
    p.appendChild(close);
    card.appendChild(p);
    card.hidden = false;
  }

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = src;
      script.onload = resolve;
      script.onerror = function () { reject(new Error("could not load " + src)); };
      document.head.appendChild(script);
    });
  }

  function loadVega() {
    if (!vegaLoaded) {
      vegaLoaded = window.vega ? Promise.resolve()
        : loadScript(here.replace(/usrubook-charts\.js(\?.*)?$/, "usrubook-vega.js"));
    }
    return vegaLoaded;
  }

  /* The texts the spec names by their cell of the Data view ({usrubook_cell: [table, row, column]}), put back. */
  function resolveCells(chart, spec) {
    var details = document.getElementById(chart.el.id + "-data");
    var tables = details ? details.querySelectorAll("table.usrubook-data-table") : [];
    function rows(s) {
      (s && s.data || []).forEach(function (d) {
        (Array.isArray(d.values) ? d.values : []).forEach(function (row) {
          Object.keys(row || {}).forEach(function (k) {
            var ref = row[k] && row[k].usrubook_cell;
            if (ref) { row[k] = tables[ref[0]].tBodies[0].rows[ref[1]].cells[ref[2]].textContent; }
          });
        });
      });
    }
    rows(spec);
    rows(spec.usermeta && spec.usermeta.narrow);
    return spec;
  }

  function loadSpec(chart) {
    var id = chart.el.id;
    var specs = window.usrubookSpecs || {};
    var ready = specs[id] ? Promise.resolve() : loadScript(chart.el.dataset.spec);
    return ready.then(function () {
      chart.json = JSON.stringify(resolveCells(chart, window.usrubookSpecs[id]));
    });
  }

  /* The mark under a point of the live drawing (Vega keeps each SVG element's scenegraph item on it). */
  function itemAt(chart, x, y) {
    for (var e = document.elementFromPoint(x, y); e && e !== chart.el; e = e.parentNode) {
      if (e.__data__ && e.__data__.datum) { return e.__data__; }
    }
    return null;
  }

  /* Make a chart live: load Vega and its spec, then draw it; a tap that started this shows its mark's card. */
  function activate(chart, tap) {
    if (chart.live) { return chart.live; }
    chart.live = loadVega().then(function () { return loadSpec(chart); }).then(function () {
      return draw(chart);
    }).then(function () {
      var item = tap && itemAt(chart, tap.x, tap.y);
      if (item) { showCard(chart, item); }
    }).catch(function (err) {
      chart.live = null;   // the drawing made at build time stays; the next pointer tries again
      console.warn("usrubook: chart " + chart.el.id + " stays as drawn at build time:", err);
    });
    return chart.live;
  }

  function draw(chart) {
    if (chart.view) { chart.view.finalize(); chart.view = null; }
    chart.el.textContent = "";
    var spec = chart.spec = specFor(chart, isDark());
    chart.autosized = !!(spec.autosize && spec.autosize.type === "fit-x");
    chart.panels = chart.autosized ? [] : panelWidths(spec);
    if (chart.panels.length) {
      // A first guess at the panels' width (about 110 px go to axis labels), so that fitting rarely needs a second pass.
      var columns = (spec.layout && spec.layout.columns === 1) || spec.layout === undefined;
      var design = columns ? Math.max.apply(null, chart.panels.map(function (p) { return p[1]; }))
        : chart.panels.reduce(function (a, p) { return a + p[1]; }, 0);
      var factor = Math.min(1, Math.max(60, available(chart.el) - 110) / design);
      chart.panels.forEach(function (p) {
        (spec.signals || []).forEach(function (s) { if (s.name === p[0]) { s.value = Math.floor(p[1] * factor); } });
        if (p[0] === "width" && typeof spec.width === "number") { spec.width = Math.floor(p[1] * factor); }
      });
    }
    var view = new vega.View(vega.parse(spec), { renderer: "svg", container: chart.el, hover: true });
    view.tooltip(showTip);
    view.addEventListener("click", function (event, item) {
      var datum = item && item.datum;
      if (!datum) { return; }
      if (chart.pointer === "mouse" || (!chart.pointer && event.pointerType === "mouse")) {
        if (datum.passage) { window.location.href = datum.passage; }
      } else {
        showCard(chart, item);
      }
    });
    chart.view = view;
    return view.runAsync().then(function () { return fit(chart); }).then(function () {
      // The chart's div is the image, named by its aria-label and described by its Data view; the SVG inside
      // is its drawing, hidden from assistive technology.
      var svg = chart.el.querySelector("svg");
      if (svg) { svg.setAttribute("aria-hidden", "true"); }
      chart.el.classList.add("usrubook-live");
    }).catch(function (err) {
      chart.el.textContent = "This chart could not be drawn: " + err;
      console.error(err);
    });
  }

  function resize(chart) {
    if (!chart.view) { return; }
    var meta = chart.spec.usermeta || {};
    if (meta.narrow && (available(chart.el) < meta.narrow_below) !== chart.narrow) {
      draw(chart);   // the compact variant (or back to the side-by-side design)
    } else if (chart.autosized) {
      chart.view.signal("width", Math.max(0, available(chart.el))).runAsync();
    } else {
      fit(chart);
    }
  }

  function init() {
    document.querySelectorAll("div.usrubook-chart").forEach(function (el) {
      if (!el.dataset.spec || el.dataset.usrubook) { return; }
      el.dataset.usrubook = "1";
      var chart = { el: el, json: null, view: null, panels: [], live: null,
                    card: document.getElementById(el.id + "-card") };
      el.classList.add("usrubook-drawn");   // the drawing made at build time
      el.addEventListener("pointerenter", function (e) {
        if (e.pointerType === "mouse") { activate(chart); }
      });
      el.addEventListener("pointerdown", function (e) {
        chart.pointer = e.pointerType;
        if (!chart.view) { activate(chart, e.pointerType !== "mouse" ? { x: e.clientX, y: e.clientY } : null); }
      }, true);
      el.addEventListener("mouseleave", function () { if (tip) { tip.hidden = true; } });
      charts.push(chart);
      if (window.ResizeObserver) {
        var last = el.clientWidth, timer = null;
        new ResizeObserver(function () {
          if (el.clientWidth === last) { return; }
          last = el.clientWidth;
          clearTimeout(timer);
          timer = setTimeout(function () { resize(chart); }, 80);
        }).observe(el);
      }
    });
    document.addEventListener("pointerdown", function (e) {
      if (e.pointerType && e.pointerType !== "mouse") { lastTouch = Date.now(); }
    }, true);
    document.addEventListener("touchstart", function () { lastTouch = Date.now(); }, { capture: true, passive: true });
    var mode = isDark();
    new MutationObserver(function () {
      if (isDark() !== mode) { mode = isDark(); charts.forEach(function (c) { if (c.view) { draw(c); } }); }
    }).observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });
    document.addEventListener("keydown", function (e) {
      if (e.key === "Escape") {
        if (tip) { tip.hidden = true; }
        charts.forEach(function (c) { if (c.card) { c.card.hidden = true; } });
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
