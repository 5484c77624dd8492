/* Draws the book's charts with the Vega runtime (_static/usrubook-vega.js).
 *
 * Each chart is a <div class="usrubook-chart"> followed by its compiled Vega spec in a JSON script
 * (made by usrubook.chapter.charts). This script:
 *  - draws it as SVG, as wide as its container, and keeps it fitted when the container changes;
 *  - re-draws it with the spec's dark configuration when the theme switches to dark mode, and back;
 *  - shows tooltips without empty fields;
 *  - on touch, shows a tapped mark's tooltip fields in a card below the chart, with the link to the passage
 *    behind it; with a mouse, a click opens the passage at once (the Data view beside the chart has the same
 *    links for keyboards).
 * The chart's files (rows, spec, SVG, PNG) are made at build time and linked after its caption.
 * Nothing is fetched from outside the book.
 */
(function () {
  "use strict";
  var charts = [];
  var tip = null;
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
      chart.el.classList.add("usrubook-drawn");
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
    // Marks for `make bench`: from the start of drawing to the last chart drawn.
    if (window.performance && performance.mark) { performance.mark("usrubook-charts-start"); }
    var pending = [];
    document.querySelectorAll("div.usrubook-chart").forEach(function (el) {
      var node = document.getElementById(el.id + "-spec");
      if (!node || el.dataset.usrubook) { return; }
      el.dataset.usrubook = "1";
      var chart = { el: el, json: node.textContent, view: null, panels: [],
                    card: document.getElementById(el.id + "-card") };
      el.addEventListener("pointerdown", function (e) { chart.pointer = e.pointerType; }, true);
      el.addEventListener("mouseleave", function () { if (tip) { tip.hidden = true; } });
      charts.push(chart);
      pending.push(draw(chart));
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
    Promise.all(pending).then(function () {
      if (window.performance && performance.mark) { performance.mark("usrubook-charts-drawn"); }
    });
    document.addEventListener("pointerdown", function (e) {
      if (e.pointerType && e.pointerType !== "mouse") { lastTouch = Date.now(); }
    }, true);
    document.addEventListener("touchstart", function () { lastTouch = Date.now(); }, { capture: true, passive: true });
    var mode = isDark();
    new MutationObserver(function () {
      if (isDark() !== mode) { mode = isDark(); charts.forEach(draw); }
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
