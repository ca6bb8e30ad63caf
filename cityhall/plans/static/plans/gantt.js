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
    // planner reads a plan); tasks of no phase last. A large chart draws one phase at a time
    // (frappe-gantt lays out every bar in SVG, seconds for thousands): LARGE rows or more.
    var LARGE = 400;
    function taskRow(task) {
      byId[task.id] = task;
      var target = targetText(task.target);
      return {
        id: String(task.id), name: task.title + (target ? " — " + target : ""),
        start: task.start, end: task.end, progress: task.progress,
        dependencies: task.dependencies.map(function (d) { return String(d.id); }).join(","),
        custom_class: "s-" + task.status + (task.critical ? "--critical" : ""),
      };
    }
    function buildRows(onlyPhase) {
      var rows = [], placed = {};
      data.phases.forEach(function (phase) {
        if (onlyPhase && String(phase.id) !== onlyPhase) return;
        data.tasks.forEach(function (task) {
          if (task.phase === phase.id) { rows.push(taskRow(task)); placed[task.id] = true; }
        });
        rows.push({
          id: "phase-" + phase.id, name: "◆ " + phase.name, start: phase.deadline,
          end: phase.deadline, progress: 0, custom_class: "milestone",
        });
      });
      if (!onlyPhase) {
        data.tasks.forEach(function (task) { if (!placed[task.id]) rows.push(taskRow(task)); });
      }
      // Links to tasks not drawn would make frappe-gantt fail on the missing bar.
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
    var picker = document.querySelector(".gantt-phase-pick");
    var large = data.tasks.length >= LARGE && data.phases.length > 1;
    var firstPhase = large ? String(data.phases[0].id) : "";
    var rows = buildRows(firstPhase);
    data.tasks.forEach(function (task) { byId[task.id] = task; });
    if (large && picker) {
      picker.hidden = false;
      picker.querySelector("select").value = firstPhase;
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
      view_mode: "Week",
      language: document.documentElement.lang || "vi",
      readonly: !config.editable,
      readonly_progress: !config.editable,
      readonly_dates: !config.editable,
      move_dependencies: false,
      bar_height: 20,
      padding: 14,
      today_button: false,
      scroll_to: "start",
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
    if (large && picker) {
      picker.querySelector("select").addEventListener("change", function (event) {
        chart.refresh(buildRows(event.target.value));
      });
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
