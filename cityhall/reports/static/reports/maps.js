/* cityhall maps: the units' boundaries (or, where none is on record, their centres) with
   their names, drawn from our own GeoJSON layer; a search box that finds a unit by its
   name or a pre-2025 name; "my location"; the pin picker that fills the form's hidden
   inputs. Tiles only when the city set CITYHALL_MAP_TILES_URL. Every page works without
   this file: the address field always does. */
(function () {
  "use strict";

  var CENTRE = [10.7769, 106.7009]; // Ho Chi Minh City
  var PIN = { radius: 9, color: "#7a0f12", weight: 3, fillColor: "#a4161a", fillOpacity: 0.9, className: "report-pin" };
  var ME = { radius: 7, color: "#ffffff", weight: 2, fillColor: "#1d5fbf", fillOpacity: 1 };
  var UNIT_POINT = { radius: 4, color: "#4a5562", weight: 1, fillColor: "#c9d1da", fillOpacity: 0.9 };
  var UNIT_AREA = { color: "#36506b", weight: 1.2, fillColor: "#5b7fa6", fillOpacity: 0.05 };
  var UNIT_AREA_APPROX = { color: "#36506b", weight: 1.2, dashArray: "5 4", fillColor: "#5b7fa6", fillOpacity: 0.05 };
  var UNIT_FOUND = { color: "#0b3d91", weight: 3, fillOpacity: 0.12 };
  var LABEL_ZOOM = 13;
  var LANG = (document.documentElement.lang || "vi").slice(0, 2);
  var layerRequest = null; // one fetch of the units layer per page, shared by its maps

  function words() {
    var out = {};
    var box = document.getElementById("map-words");
    if (box) {
      box.content.querySelectorAll("[data-key]").forEach(function (el) { out[el.dataset.key] = el.textContent; });
    }
    return out;
  }
  var W = words();

  /* Lower case, no diacritics, đ as d: "Phường Bến Nghé" and "phuong ben nghe" match. */
  function fold(text) {
    return (text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "")
      .replace(/đ/g, "d").replace(/Đ/g, "d").toLowerCase().replace(/\s+/g, " ").trim();
  }

  function localName(p) { return (LANG === "en" && p.name_en) ? p.name_en : p.name; }

  function number(value, digits) {
    return value.toLocaleString(LANG === "en" ? "en-GB" : "vi-VN",
      { minimumFractionDigits: digits, maximumFractionDigits: digits, useGrouping: false });
  }

  function pointText(latlng) {
    // Vietnamese writes decimals with a comma, so the two numbers are kept apart by "; ".
    return number(latlng.lat, 5) + (LANG === "en" ? ", " : "; ") + number(latlng.lng, 5);
  }

  function loadUnits(url) {
    if (!layerRequest) {
      layerRequest = fetch(url, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .catch(function () { return null; });
    }
    return layerRequest;
  }

  function control(position, build) {
    var Box = L.Control.extend({
      options: { position: position },
      onAdd: function () {
        var div = L.DomUtil.create("div", "leaflet-bar map-control");
        L.DomEvent.disableClickPropagation(div);
        L.DomEvent.disableScrollPropagation(div);
        build(div);
        return div;
      }
    });
    return new Box();
  }

  function addNote(map, text) {
    control("bottomleft", function (div) {
      div.className = "map-note";
      div.textContent = text;
    }).addTo(map);
  }

  function searchBox(map, state) {
    control("topright", function (div) {
      div.classList.add("map-search");
      var input = document.createElement("input");
      input.type = "search";
      input.placeholder = W.search || "Find a ward or commune";
      input.setAttribute("aria-label", W.search || "Find a ward or commune");
      input.setAttribute("autocomplete", "off");
      input.className = "map-search-input";
      var list = document.createElement("ul");
      list.className = "map-search-results";
      list.setAttribute("role", "listbox");
      list.hidden = true;
      div.appendChild(input);
      div.appendChild(list);

      function choose(feature) {
        list.hidden = true;
        input.value = localName(feature.properties);
        state.focus(feature);
      }

      function render(matches) {
        list.innerHTML = "";
        if (!input.value.trim()) { list.hidden = true; return; }
        if (!matches.length) {
          var none = document.createElement("li");
          none.className = "map-search-none";
          none.textContent = W.nomatch || "No ward or commune has that name.";
          list.appendChild(none);
        }
        matches.forEach(function (m) {
          var li = document.createElement("li");
          var button = document.createElement("button");
          button.type = "button";
          button.className = "map-search-result";
          button.textContent = localName(m.feature.properties);
          if (m.former) {
            var small = document.createElement("small");
            small.textContent = (W.formerly || "formerly") + " " + m.former;
            button.appendChild(document.createElement("br"));
            button.appendChild(small);
          }
          button.addEventListener("click", function () { choose(m.feature); });
          li.appendChild(button);
          list.appendChild(li);
        });
        list.hidden = false;
      }

      function find(text) {
        var key = fold(text);
        if (!key) { return []; }
        var found = [];
        state.features.forEach(function (f) {
          var p = f.properties;
          if (fold(p.name).indexOf(key) >= 0 || fold(p.name_en).indexOf(key) >= 0) {
            found.push({ feature: f, former: null, rank: fold(p.name).indexOf(key) === 0 ? 0 : 1 });
            return;
          }
          // An old name matches by itself ("ben nghe"); its district only helps a key
          // longer than the name ("phuong 1 quan 3"), so "thu duc" does not list every
          // ward of the old Thành phố Thủ Đức.
          var old = (p.former || []).filter(function (n) {
            var own = fold(n.split(",")[0]);
            return own.indexOf(key) >= 0 ||
              (key.length > own.length && fold(n.replace(/,/g, "")).indexOf(key.replace(/,/g, "")) >= 0);
          });
          if (old.length) { found.push({ feature: f, former: old[0], rank: 2 }); }
        });
        found.sort(function (a, b) { return a.rank - b.rank || fold(a.feature.properties.name).localeCompare(fold(b.feature.properties.name)); });
        return found.slice(0, 8);
      }

      input.addEventListener("input", function () { render(find(input.value)); });
      input.addEventListener("keydown", function (e) {
        if (e.key === "Enter") {
          e.preventDefault(); // never submit the report form from the map's search
          var matches = find(input.value);
          if (matches.length) { choose(matches[0].feature); }
        } else if (e.key === "Escape") {
          list.hidden = true;
        }
      });
    }).addTo(map);
  }

  function locateButton(map, onFound) {
    if (!navigator.geolocation) { return; }
    control("topleft", function (div) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "map-locate";
      // A target drawn in SVG: no icon font, nothing fetched.
      var svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
      svg.setAttribute("viewBox", "0 0 24 24");
      svg.setAttribute("width", "20");
      svg.setAttribute("height", "20");
      svg.setAttribute("aria-hidden", "true");
      [["circle", { cx: 12, cy: 12, r: 7, fill: "none", stroke: "currentColor", "stroke-width": 2 }],
       ["circle", { cx: 12, cy: 12, r: 2.5, fill: "currentColor" }],
       ["path", { d: "M12 1v4M12 19v4M1 12h4M19 12h4", stroke: "currentColor", "stroke-width": 2 }]
      ].forEach(function (part) {
        var node = document.createElementNS("http://www.w3.org/2000/svg", part[0]);
        Object.keys(part[1]).forEach(function (k) { node.setAttribute(k, part[1][k]); });
        svg.appendChild(node);
      });
      button.appendChild(svg);
      button.title = W.locate || "My location";
      button.setAttribute("aria-label", W.locate || "My location");
      var status = document.createElement("span");
      status.className = "visually-hidden";
      status.setAttribute("role", "status");
      div.appendChild(button);
      div.appendChild(status);
      button.addEventListener("click", function () {
        status.textContent = W.locating || "Finding your location…";
        button.disabled = true;
        navigator.geolocation.getCurrentPosition(function (pos) {
          button.disabled = false;
          status.textContent = "";
          var here = L.latLng(pos.coords.latitude, pos.coords.longitude);
          map.setView(here, Math.max(map.getZoom(), 16));
          onFound(here, pos.coords.accuracy);
        }, function () {
          button.disabled = false;
          status.textContent = W.nolocation || "Your location is not available.";
          addNote(map, status.textContent);
        }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
      });
    }).addTo(map);
  }

  function baseMap(el, options) {
    el.innerHTML = "";
    var map = L.map(el, { center: CENTRE, zoom: 11 });
    map.attributionControl.setPrefix(false);
    el.cityhallMap = map; // for assistive tools and the browser tests
    if (el.dataset.tiles) {
      L.tileLayer(el.dataset.tiles, { maxZoom: 19, attribution: el.dataset.tilesAttribution || "" }).addTo(map);
    }
    var state = { features: [], byCode: {}, layers: {}, found: null, focus: function () {} };
    state.focus = function (feature) {
      var p = feature.properties;
      if (state.found) { state.found.setStyle(state.found.baseStyle); state.found = null; }
      var layer = state.layers[p.code];
      if (p.bbox) {
        map.fitBounds([[p.bbox[1], p.bbox[0]], [p.bbox[3], p.bbox[2]]], { padding: [16, 16], maxZoom: 16 });
      } else if (p.centre) {
        map.setView(p.centre, 15);
      }
      if (layer && layer.setStyle && p.boundary) {
        layer.setStyle(UNIT_FOUND);
        state.found = layer;
      }
      if (layer) { layer.openTooltip(); }
      el.dispatchEvent(new CustomEvent("unit-found", { bubbles: true, detail: { code: p.code, name: p.name } }));
    };
    if (el.dataset.units) {
      loadUnits(el.dataset.units).then(function (data) {
        if (!data) { return; }
        state.features = data.features;
        var labelled = map.getZoom() >= LABEL_ZOOM;
        var layer = L.geoJSON(data, {
          style: function (f) { return f.properties.approximate ? UNIT_AREA_APPROX : UNIT_AREA; },
          pointToLayer: function (f, latlng) { return L.circleMarker(latlng, UNIT_POINT); },
          onEachFeature: function (f, item) {
            var label = localName(f.properties);
            if (f.properties.approximate) { label += " (" + (W.approximate || "approximate boundary") + ")"; }
            item.baseStyle = f.properties.approximate ? UNIT_AREA_APPROX : UNIT_AREA;
            item.labelText = label;
            item.bindTooltip(label, { permanent: labelled, direction: f.properties.boundary ? "center" : "right", className: "unit-label", opacity: 0.9 });
            state.layers[f.properties.code] = item;
          }
        }).addTo(map);
        layer.bringToBack();
        map.on("zoomend", function () {
          var now = map.getZoom() >= LABEL_ZOOM;
          if (now === labelled) { return; }
          labelled = now;
          layer.eachLayer(function (item) {
            item.unbindTooltip();
            item.bindTooltip(item.labelText, { permanent: now, direction: item.feature.properties.boundary ? "center" : "right", className: "unit-label", opacity: 0.9 });
          });
        });
        var bounded = data.features.filter(function (f) { return f.properties.boundary; }).length;
        (data.attribution || []).forEach(function (a) { map.attributionControl.addAttribution((W.boundaries || "Boundaries") + ": " + a); });
        if (!bounded) {
          map.attributionControl.addAttribution(W.centres || "Unit centres: national registry");
          addNote(map, W.nobounds || "Ward and commune boundaries are not available yet: the dots are their centres.");
        } else if (data.features.some(function (f) { return f.properties.approximate; })) {
          addNote(map, W.approxnote || "Dashed boundaries are approximate.");
        }
        searchBox(map, state);
        if (options && options.ready) { options.ready(state); }
        el.classList.add("map-units-ready");
      });
    }
    return map;
  }

  function pickMap(el) {
    var marker = null;
    var lat = document.getElementById(el.dataset.latInput);
    var lon = document.getElementById(el.dataset.lonInput);
    var status = document.getElementById("pin-status");
    var clear = document.getElementById("pin-clear");
    var map = baseMap(el);
    var asked = 0;

    function explain(latlng) {
      // Tell the resident where the report will go, in the words it will be routed with.
      var ticket = ++asked;
      var url = "/api/v1/units/resolve?lat=" + latlng.lat.toFixed(6) + "&lon=" + latlng.lng.toFixed(6);
      fetch(url, { credentials: "same-origin", headers: { "Accept-Language": LANG } })
        .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
        .then(function (answer) {
          if (ticket !== asked || !status) { return; }
          var where = answer.ok ? answer.body.reason : answer.body.detail;
          status.textContent = status.dataset.textSet + " " + pointText(latlng) + ". " + where;
        })
        .catch(function () { /* the pin stands; the server will say where it goes */ });
    }

    function show(latlng, announce) {
      if (marker) { marker.setLatLng(latlng); } else { marker = L.circleMarker(latlng, PIN).addTo(map); }
      lat.value = latlng.lat.toFixed(6);
      lon.value = latlng.lng.toFixed(6);
      if (status) { status.textContent = status.dataset.textSet + " " + pointText(latlng) + "."; }
      if (clear) { clear.hidden = false; }
      if (announce) {
        explain(latlng);
        document.body.dispatchEvent(new CustomEvent("place-set", { bubbles: true }));
      }
    }

    if (lat.value && lon.value) {
      var start = L.latLng(parseFloat(lat.value), parseFloat(lon.value));
      show(start, false);
      map.setView(start, 15);
    }
    map.on("click", function (e) { show(e.latlng, true); });
    locateButton(map, function (here) { show(here, true); });
    if (clear) {
      clear.addEventListener("click", function () {
        if (marker) { map.removeLayer(marker); marker = null; }
        lat.value = ""; lon.value = "";
        clear.hidden = true;
        if (status) { status.textContent = status.dataset.textNone; }
        document.body.dispatchEvent(new CustomEvent("place-set", { bubbles: true }));
      });
    }
    // Tests and assistive tools may set the pin by event.
    document.addEventListener("cityhall:set-pin", function (e) {
      show(L.latLng(e.detail.lat, e.detail.lon), true);
    });
  }

  function showMap(el) {
    var map = baseMap(el);
    var here = L.latLng(parseFloat(el.dataset.lat), parseFloat(el.dataset.lon));
    L.circleMarker(here, PIN).addTo(map).bindTooltip(W.pin || "The report's place");
    // Close enough to see the street, far enough to see the ward's boundary around it.
    map.setView(here, 14);
    var me = null;
    locateButton(map, function (latlng) {
      if (me) { me.setLatLng(latlng); } else { me = L.circleMarker(latlng, ME).addTo(map).bindTooltip(W.locate || "My location"); }
      map.fitBounds(L.latLngBounds([here, latlng]), { padding: [30, 30], maxZoom: 16 });
    });
  }

  function listMap(el) {
    var map = baseMap(el);
    locateButton(map, function () {});
    fetch(el.dataset.pins, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data || !data.features.length) { return; }
        var layer = L.geoJSON(data, {
          pointToLayer: function (f, latlng) { return L.circleMarker(latlng, PIN); },
          onEachFeature: function (f, marker) {
            var box = document.createElement("div");
            var link = document.createElement("a");
            link.href = f.properties.url;
            link.textContent = f.properties.code;
            box.appendChild(link);
            box.appendChild(document.createElement("br"));
            box.appendChild(document.createTextNode(f.properties.category + " · " + f.properties.state_label));
            marker.bindPopup(box);
          }
        }).addTo(map);
        map.fitBounds(layer.getBounds(), { maxZoom: 13, padding: [20, 20] });
      })
      .catch(function () { /* the list below the map has every report */ });
  }

  function start() {
    if (typeof L === "undefined") { return; }
    document.querySelectorAll("[data-map]").forEach(function (el) {
      var kind = el.dataset.map;
      if (kind === "pick") { pickMap(el); } else if (kind === "show") { showMap(el); } else if (kind === "list") { listMap(el); }
      el.classList.add("map-ready");
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
