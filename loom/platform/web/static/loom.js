/* Loom portal: the few behaviours plain HTML lacks. Everything that decides (conditions,
   computed values, totals, permissions) happens on the server; this file only applies
   what the server answered and moves values between inputs. */
(function () {
  "use strict";

  const csrf = () => document.querySelector('meta[name="csrf-token"]').content;

  /* -- form state from the server (htmx swaps #form-state as the user types) ------------ */

  function controlsOf(form, name) {
    const selector = [
      `[name="${CSS.escape(name)}"]:not([type=hidden])`,
      `[name^="${CSS.escape(name)}."]`,
      `[data-picker][data-name="${CSS.escape(name)}"] input[type=search]`,
      `[data-upload][data-name="${CSS.escape(name)}"] input[type=file]`,
    ].join(",");
    return form.querySelectorAll(selector);
  }

  function applyState(form, state) {
    for (const [name, st] of Object.entries(state.fields)) {
      const box = form.querySelector(`[data-field="${CSS.escape(name)}"]`);
      if (!box) continue;
      box.classList.toggle("d-none", !st.visible);
      box.classList.toggle("is-required", st.required);
      for (const el of controlsOf(form, name)) {
        const locks = el.tagName === "SELECT" || ["checkbox", "file", "search"].includes(el.type);
        if (locks) el.disabled = st.readonly; else el.readOnly = st.readonly;
        if (el.type !== "checkbox") el.required = st.required;
      }
    }
    for (const [key, shown] of Object.entries(state.shown)) {
      form.querySelectorAll(`[data-shown="${CSS.escape(key)}"]`).forEach((el) => el.classList.toggle("d-none", !shown));
    }
    for (const [name, text] of Object.entries(state.computed)) {
      form.querySelectorAll(`[data-computed="${CSS.escape(name)}"]`).forEach((el) => { el.textContent = text; });
    }
    for (const [key, text] of Object.entries(state.totals)) {
      form.querySelectorAll(`[data-total="${CSS.escape(key)}"]`).forEach((el) => { el.textContent = text; });
    }
  }

  function applyCurrentState() {
    const holder = document.getElementById("form-state");
    if (holder) applyState(holder.closest("form"), JSON.parse(holder.dataset.state));
  }

  document.addEventListener("htmx:afterSettle", applyCurrentState);
  document.addEventListener("DOMContentLoaded", applyCurrentState);

  function recompute(el) {
    const form = el.closest("form[hx-post]");
    if (form) htmx.trigger(form, "loom:recompute");
  }

  /* -- reference pickers -------------------------------------------------------------- */

  function choicesOf(picker) { return picker.querySelector(".loom-choices"); }

  function closeChoices(picker) {
    choicesOf(picker).innerHTML = "";
    picker.querySelector("input[type=search]").setAttribute("aria-expanded", "false");
  }

  function chip(picker, id, title) {
    const item = document.createElement("li");
    item.className = "badge text-bg-light border d-inline-flex align-items-center gap-1";
    const hidden = document.createElement("input");
    hidden.type = "hidden"; hidden.name = picker.dataset.name; hidden.value = id;
    const remove = document.createElement("button");
    remove.type = "button"; remove.className = "btn-close"; remove.dataset.unpick = "";
    remove.setAttribute("aria-label", "×");
    item.append(hidden, document.createTextNode(title), remove);
    return item;
  }

  function pick(option) {
    const picker = option.closest("[data-picker]");
    const search = picker.querySelector("input[type=search]");
    if (picker.hasAttribute("data-multiple")) {
      const chips = picker.querySelector("[data-chips]");
      const taken = [...chips.querySelectorAll("input")].some((i) => i.value === option.dataset.pickId);
      if (!taken) chips.append(chip(picker, option.dataset.pickId, option.dataset.pickTitle));
      search.value = "";
    } else {
      picker.querySelector("[data-pick-value]").value = option.dataset.pickId;
      search.value = option.dataset.pickTitle;
    }
    closeChoices(picker);
    search.dataset.picked = "";  // returning focus must not reopen the choices
    search.focus();
    picker.dispatchEvent(new Event("change", { bubbles: true }));
  }

  document.addEventListener("click", (event) => {
    const option = event.target.closest("[data-pick-id]");
    if (option) { pick(option); return; }
    const unpick = event.target.closest("[data-unpick]");
    if (unpick) {
      const holder = unpick.closest("li");
      const form = unpick.closest("form");
      holder.remove();
      if (form) recompute(form);
      return;
    }
    document.querySelectorAll("[data-picker]").forEach((p) => { if (!p.contains(event.target)) closeChoices(p); });
  });

  document.addEventListener("input", (event) => {
    const picker = event.target.closest("[data-picker]");
    if (picker && event.target.type === "search" && !picker.hasAttribute("data-multiple")) {
      picker.querySelector("[data-pick-value]").value = "";  // typed text is not a choice until one is picked
    }
  });

  document.addEventListener("htmx:beforeRequest", (event) => {
    const search = event.detail.elt;
    if (!search.dataset || !("picked" in search.dataset)) return;
    delete search.dataset.picked;
    if (event.detail.requestConfig.triggeringEvent?.type === "focus") event.preventDefault();
  });

  document.addEventListener("htmx:afterSwap", (event) => {
    if (!event.target.classList.contains("loom-choices")) return;
    const picker = event.target.closest("[data-picker]");
    picker.querySelector("input[type=search]").setAttribute("aria-expanded", event.target.children.length ? "true" : "false");
  });

  document.addEventListener("keydown", (event) => {
    const picker = event.target.closest("[data-picker]");
    if (!picker) return;
    const options = [...choicesOf(picker).querySelectorAll("[data-pick-id]")];
    const at = options.indexOf(event.target);
    if (event.key === "ArrowDown" && options.length) {
      event.preventDefault();
      options[Math.min(at + 1, options.length - 1)].focus();
    } else if (event.key === "ArrowUp" && at >= 0) {
      event.preventDefault();
      (at === 0 ? picker.querySelector("input[type=search]") : options[at - 1]).focus();
    } else if (event.key === "Escape") {
      closeChoices(picker);
      picker.querySelector("input[type=search]").focus();
    } else if (event.key === "Enter" && event.target.type === "search") {
      event.preventDefault();  // Enter in a picker chooses, never submits the form
      if (options.length === 1) pick(options[0]);
    }
  });

  /* -- child table grids -------------------------------------------------------------- */

  document.addEventListener("click", (event) => {
    const add = event.target.closest("[data-add-row]");
    if (add) {
      const grid = add.closest("[data-grid]");
      const key = grid.dataset.grid;
      const pattern = new RegExp(`^${key}-(\\d+)-`);
      const used = [...grid.querySelectorAll("[data-rows] [name]")]
        .map((el) => (el.name.match(pattern) || [])[1]).filter(Boolean).map(Number);
      const next = used.length ? Math.max(...used) + 1 : 0;
      const html = grid.querySelector("template[data-row-template]").innerHTML.replaceAll("__index__", String(next));
      const body = grid.querySelector("[data-rows]");
      body.insertAdjacentHTML("beforeend", html);
      const row = body.lastElementChild;
      htmx.process(row);
      const first = row.querySelector("input:not([type=hidden]), select, textarea");
      if (first) first.focus();
      return;
    }
    const remove = event.target.closest("[data-remove-row]");
    if (remove) {
      const grid = remove.closest("[data-grid]");
      remove.closest("[data-row]").remove();
      grid.querySelector("[data-add-row]").focus();
      recompute(grid);
    }
  });

  /* -- uploads with a progress bar ---------------------------------------------------- */

  function fileItem(box, file) {
    const item = document.createElement("li");
    item.className = "d-flex align-items-center gap-2";
    const hidden = document.createElement("input");
    hidden.type = "hidden"; hidden.name = box.dataset.name; hidden.value = file.id;
    const link = document.createElement("a");
    link.href = `${box.dataset.url}/${file.id}`; link.target = "_blank"; link.rel = "noopener";
    link.textContent = file.name;
    const remove = document.createElement("button");
    remove.type = "button"; remove.className = "btn btn-link btn-sm p-0"; remove.dataset.unpick = "";
    remove.textContent = "×"; remove.setAttribute("aria-label", file.name);
    item.append(hidden, link, remove);
    return item;
  }

  function upload(box, file) {
    const progress = box.querySelector(".progress");
    const bar = box.querySelector("[data-progress]");
    const problem = box.querySelector("[data-upload-error]");
    const body = new FormData();
    body.append("file", file);
    const request = new XMLHttpRequest();
    request.open("POST", box.dataset.url);
    request.setRequestHeader("X-CSRF-Token", csrf());
    request.setRequestHeader("Accept", "application/json");
    progress.classList.remove("d-none");
    problem.textContent = "";
    request.upload.addEventListener("progress", (e) => {
      if (!e.lengthComputable) return;
      const percent = Math.round((e.loaded / e.total) * 100);
      bar.style.width = `${percent}%`;
      progress.setAttribute("aria-valuenow", String(percent));
    });
    request.addEventListener("load", () => {
      let answer = {};
      try { answer = JSON.parse(request.responseText); } catch (e) { answer = {}; }
      if (request.status === 201) {
        const list = box.querySelector("[data-files]");
        if (!box.hasAttribute("data-multiple")) list.innerHTML = "";
        list.append(fileItem(box, answer));
        bar.style.width = "100%";
        progress.setAttribute("aria-valuenow", "100");
        recompute(box);
      } else {
        problem.textContent = answer.detail || answer.title || String(request.status);
        progress.classList.add("d-none");
      }
    });
    request.addEventListener("error", () => { progress.classList.add("d-none"); });
    request.send(body);
  }

  document.addEventListener("change", (event) => {
    const box = event.target.closest("[data-upload]");
    if (!box || event.target.type !== "file") return;
    for (const file of event.target.files) upload(box, file);
    event.target.value = "";
  });

  /* -- saved views: on a phone the active tab may sit past the edge of its row ---------- */

  document.addEventListener("DOMContentLoaded", () => {
    const row = document.querySelector(".loom-views");
    const active = row && row.querySelector(".nav-link.active");
    if (active) row.scrollLeft = active.offsetLeft - (row.clientWidth - active.offsetWidth) / 2;
  });

  /* -- 加载更多: the button makes way for the next cards; the first of them takes the focus - */

  document.addEventListener("htmx:beforeRequest", (event) => {
    if (event.detail.elt.id !== "list-more") return;
    const list = document.getElementById("list-cards");
    list.dataset.shown = list.querySelectorAll(".loom-row-card").length;
  });

  document.addEventListener("htmx:afterSettle", () => {
    const list = document.getElementById("list-cards");
    if (!list || !("shown" in list.dataset)) return;
    const next = list.querySelectorAll(".loom-row-card")[Number(list.dataset.shown)];
    delete list.dataset.shown;
    if (next) next.focus();
  });

  /* -- the inbox: its filters apply when changed; the batch bar counts the ticked tasks -- */

  function countTicked() {
    const ticked = document.querySelectorAll("[data-batch-task]:checked").length;
    document.querySelectorAll("[data-batch-count]").forEach((el) => { el.textContent = ticked; });
    const button = document.getElementById("batch-approve");
    if (button) button.disabled = ticked === 0;
  }

  document.addEventListener("change", (event) => {
    const filters = event.target.closest("form[data-autosubmit]");
    if (filters) filters.requestSubmit();
    else if (event.target.matches("[data-batch-task]")) countTicked();
  });
  document.addEventListener("DOMContentLoaded", countTicked);

  /* -- a flow operation's panel (转交, 加签, 抄送, 退回): in view, its first input focused --- */

  document.addEventListener("shown.bs.collapse", (event) => {
    if (!event.target.matches("[data-op-panel]")) return;
    event.target.scrollIntoView({ block: "center" });
    const first = event.target.querySelector("input[type=search], select");
    if (first) first.focus();
  });

  /* -- confirmations ------------------------------------------------------------------ */

  document.addEventListener("submit", (event) => {
    // A step that requires a comment for this operation (拒绝 with a reason) asks before posting.
    const comment = event.target.querySelector("textarea[name=comment]");
    if (event.submitter && event.submitter.hasAttribute("data-needs-comment") && comment && !comment.value.trim()) {
      event.preventDefault();
      comment.classList.add("is-invalid");
      comment.setAttribute("aria-describedby", "flow-comment-needed");
      comment.focus();
      return;
    }
    const message = event.target.dataset.confirm;
    if (message && !window.confirm(message)) event.preventDefault();
  });
})();
