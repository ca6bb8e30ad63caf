// One plan's Gantt chart, drawn by the vendored frappe-gantt from the page's own data.
// Bars are coloured by derived status (class s-<status>, plus "--critical" on the critical
// path); phases are milestone rows; the plan's leaders drag dates and progress, which are
// saved through the API (and put back when the API refuses).
(function () {
  "use strict";

  function escape(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function day(date) {
    var m = date.getMonth() + 1, d = date.getDate();
    return date.getFullYear() + "-" + (m < 10 ? "0" : "") + m + "-" + (d < 10 ? "0" : "") + d;
  }

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
  }

  function start() {
    var holder = document.getElementById("gantt");
    if (!holder || !window.Gantt) return;
    var data = JSON.parse(document.getElementById("gantt-data").textContent);
    var config = JSON.parse(document.getElementById("gantt-config").textContent);
    var errorBox = document.querySelector(".gantt-error");
    var byId = {};
    var labels = config.labels || {};
    function number(text) {
      var value = Number(text);
      return isNaN(value) ? String(text) : value.toLocaleString(document.documentElement.lang || "vi");
    }
    function targetText(target) {
      if (!target) return "";
      return (target.actual === null ? "–" : number(target.actual)) + " / " +
        number(target.value) + " " + target.measure + (target.met ? " ✓" : "");
    }
    // Rows phase by phase, each phase's tasks followed by its deadline as a milestone (as a
    // planner reads a plan); tasks of no phase last. frappe-gantt lays out every bar in SVG
    // (seconds for thousands of rows), so a large chart is drawn a slice of SLICE rows at a
    // time, in that order, chosen in the toolbar.
    var SLICE = 250;
    function taskRow(task) {
      var target = targetText(task.target);
      return {
        id: String(task.id), name: task.title + (target ? " — " + target : ""),
        start: task.start, end: task.end, progress: task.progress,
        dependencies: task.dependencies.map(function (d) { return String(d.id); }).join(","),
        custom_class: "s-" + task.status + (task.critical ? "--critical" : ""),
        phaseName: "",
      };
    }
    var allRows = [], placed = {};
    data.tasks.forEach(function (task) { byId[task.id] = task; });
    data.phases.forEach(function (phase) {
      data.tasks.forEach(function (task) {
        if (task.phase === phase.id) {
          var row = taskRow(task);
          row.phaseName = phase.name;
          allRows.push(row);
          placed[task.id] = true;
        }
      });
      allRows.push({
        id: "phase-" + phase.id, name: "◆ " + phase.name, start: phase.deadline,
        end: phase.deadline, progress: 0, custom_class: "milestone", phaseName: phase.name,
      });
    });
    data.tasks.forEach(function (task) { if (!placed[task.id]) allRows.push(taskRow(task)); });
    function slice(index) {
      var rows = allRows.slice(index * SLICE, (index + 1) * SLICE).map(function (row) {
        return Object.assign({}, row);
      });
      // Links to rows not drawn would make frappe-gantt fail on the missing bar.
      var drawn = {};
      rows.forEach(function (row) { drawn[row.id] = true; });
      rows.forEach(function (row) {
        if (row.dependencies) {
          row.dependencies = row.dependencies.split(",").filter(function (id) {
            return drawn[id];
          }).join(",");
        }
      });
      return rows;
    }
    var picker = document.querySelector(".gantt-slice-pick");
    var slices = Math.ceil(allRows.length / SLICE);
    // Where the chart opens: the task a link names (#task-ID, from a notice); else what a
    // leader looks for first, the task overdue the longest (the earliest due date), else the
    // task in progress due soonest; else the plan's start. The slice holding it is drawn.
    function firstWith(status) {
      var found = null;
      data.tasks.forEach(function (task) {
        if (task.status === status && (!found || task.end < found.end)) found = task;
      });
      return found;
    }
    var wanted = /^#task-(\d+)$/.exec(window.location.hash);
    var focus = wanted ? byId[wanted[1]] || null : null;
    var focusWhy = "";
    if (!focus) {
      focus = firstWith("overdue");
      focusWhy = focus ? "focus_overdue" : "";
    }
    if (!focus) {
      focus = firstWith("in_progress");
      focusWhy = focus ? "focus_in_progress" : "";
    }
    var start = 0;
    if (focus && slices > 1) {
      allRows.forEach(function (row, index) {
        if (row.id === String(focus.id)) start = Math.floor(index / SLICE);
      });
    }
    // The zoom that fits the plan's typical task: a plan of tasks lasting months (Resolution
    // 57's year-long programmes) opens by month, so that bars and their names fit the
    // screen; a plan of tasks lasting weeks opens by week.
    function days(task) {
      return (new Date(task.end + "T00:00:00") - new Date(task.start + "T00:00:00")) / 864e5;
    }
    var lengths = data.tasks.map(days).sort(function (a, b) { return a - b; });
    var mode = lengths.length && lengths[Math.floor(lengths.length / 2)] > 60 ? "Month" : "Week";
    // The "late only" view is an overview: the finest zoom that shows every late task at
    // once (a week column is 140 pixels, a month's 120), else the zoom above.
    if (config.late && data.tasks.length) {
      var first = data.tasks[0].start, last = data.tasks[0].end;
      data.tasks.forEach(function (task) {
        if (task.start < first) first = task.start;
        if (task.end > last) last = task.end;
      });
      var span = days({ start: first, end: last }), width = holder.clientWidth || 1000;
      if (span <= width / 140 * 7 - 7) mode = "Week";
      else if (span <= width / 120 * 30 - 30) mode = "Month";
    }
    var rows = slices > 1 ? slice(start) : allRows;
    if (slices > 1 && picker) {
      var select = picker.querySelector("select");
      for (var i = 0; i < slices; i++) {
        var first = allRows[i * SLICE], last = allRows[Math.min((i + 1) * SLICE, allRows.length) - 1];
        var option = document.createElement("option");
        option.value = String(i);
        option.textContent = (i * SLICE + 1) + "–" + Math.min((i + 1) * SLICE, allRows.length) +
          (first.phaseName ? " · " + first.phaseName +
            (last.phaseName && last.phaseName !== first.phaseName ? " → " + last.phaseName : "")
            : "");
        select.appendChild(option);
      }
      select.value = String(start);
      holder.dataset.slice = String(start);
      picker.hidden = false;
      document.querySelector(".gantt-large-note").hidden = false;
    }

    function fail(message) {
      errorBox.textContent = message;
      errorBox.hidden = false;
    }

    function send(method, url, body) {
      return fetch(config.api + url, {
        method: method, credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify(body),
      }).then(function (response) {
        return response.json().then(function (answer) {
          if (!response.ok) throw new Error(answer.detail && typeof answer.detail === "string"
            ? answer.detail : response.status + " " + (answer.code || ""));
          return answer;
        });
      });
    }

    var pending = {};

    function flushDates() {
      Object.keys(pending).forEach(function (key) {
        var change = pending[key], task = byId[key];
        delete pending[key];
        if (change.start === task.start && change.end === task.end) return;
        send("PUT", "/tasks/" + task.id + "/schedule", { start: change.start, end: change.end })
          .then(function (answer) {
            task.start = answer.start; task.end = answer.due; errorBox.hidden = true;
          })
          .catch(function (err) {
            fail(err.message);
            chart.update_task(change.row.id, { start: task.start, end: task.end });
          });
      });
    }
    document.addEventListener("mouseup", flushDates);
    document.addEventListener("touchend", flushDates);

    var chart = new window.Gantt(holder, rows, {
      view_mode: mode,
      language: document.documentElement.lang || "vi",
      readonly: !config.editable,
      readonly_progress: !config.editable,
      readonly_dates: !config.editable,
      move_dependencies: false,
      bar_height: 20,
      padding: 14,
      today_button: false,
      scroll_to: focus ? focus.start : "start",
      infinite_padding: false,
      popup: function (ctx) {
        var task = byId[ctx.task.id];
        if (!task) {
          ctx.set_title(escape(ctx.task.name));
          ctx.set_subtitle(escape(ctx.task.start));
          ctx.set_details("");
          return;
        }
        ctx.set_title(escape(task.title));
        ctx.set_subtitle(escape(task.lead_unit) + (task.person_in_charge
          ? " · " + escape(task.person_in_charge) : ""));
        ctx.set_details(escape(task.start) + " → " + escape(task.end) + "<br>" +
          escape(config.statuses[task.status]) + " · " + Math.round(task.progress) + " %" +
          (task.critical ? "<br><strong>" + escape(config.critical) +
            "</strong>" : "") +
          (task.target ? "<br>" + escape(labels.target || "") + ": " +
            escape(targetText(task.target)) + " (" + escape(task.target.by) + ")" : "") +
          (config.task_url ? '<br><a href="' + escape(config.task_url.replace("{id}", task.id)) +
            '">' + escape(labels.open || "") + "</a>" : ""));
      },
      // frappe-gantt reports every snap of a drag; the last one is saved when the mouse
      // button is released (flushDates), so one drag is one change and one audit entry.
      on_date_change: function (row, begin, end) {
        if (byId[row.id]) pending[row.id] = { row: row, start: day(begin), end: day(end) };
      },
      on_progress_change: function (row, progress) {
        var task = byId[row.id];
        if (!task) return;
        send("POST", "/tasks/" + task.id + "/progress", { percent: Math.round(progress) })
          .then(function (answer) { task.progress = answer.progress; errorBox.hidden = true; })
          .catch(function (err) {
            fail(err.message);
            chart.update_task(row.id, { progress: task.progress });
          });
      },
    });
    if (slices > 1 && picker) {
      picker.querySelector("select").addEventListener("change", function (event) {
        chart.refresh(slice(Number(event.target.value)));
        holder.dataset.slice = event.target.value;
      });
    }
    // Scroll so that the bar's start and its name are in sight (the name of a long bar is
    // drawn in its middle: then the name wins), and its row when it lies below what the
    // chart shows (a long plan scrolls inside its box, frappe-gantt's container or ours).
    function showBar(bar) {
      var box = chart.$container, shape = bar.querySelector(".bar");
      var label = bar.querySelector(".bar-label");
      if (box && shape) {
        var x = Number(shape.getAttribute("x")) || 0, width = box.clientWidth;
        var left = x - 40;
        if (label) {
          var text = label.getBBox();
          if (text.x + text.width > left + width - 20) left = text.x - width / 4;
        }
        box.scrollTo({ left: Math.max(0, left), behavior: "instant" });
      }
      [box, holder].forEach(function (pane) {
        if (!pane || pane.scrollHeight <= pane.clientHeight) return;
        var top = bar.getBoundingClientRect().top - pane.getBoundingClientRect().top;
        if (top > pane.clientHeight - 60) pane.scrollTop += top - pane.clientHeight / 3;
      });
    }
    document.querySelectorAll(".gantt-modes [data-mode]").forEach(function (button) {
      button.setAttribute("aria-pressed", String(button.dataset.mode === mode));
    });
    if (focus) {
      holder.dataset.focus = String(focus.id);
      var bar = holder.querySelector('.bar-wrapper[data-id="' + focus.id + '"]');
      if (bar) {
        bar.classList.add("gantt-focus");
        showBar(bar);
      }
      var note = document.querySelector(".gantt-focus-note");
      if (note && focusWhy && labels[focusWhy]) {
        note.textContent = labels[focusWhy].replace("%(title)s", focus.title);
        note.hidden = false;
      }
    }
    holder.dataset.ready = "1";
    document.querySelectorAll(".gantt-modes [data-mode]").forEach(function (button) {
      button.addEventListener("click", function () {
        chart.change_view_mode(button.dataset.mode);
        document.querySelectorAll(".gantt-modes [data-mode]").forEach(function (b) {
          b.setAttribute("aria-pressed", String(b === button));
        });
      });
    });
    window.cityhallGantt = chart;
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
