/* The task page's comment box: @ offers the approval's people, and a step that requires it
   takes a handwritten signature (signature_pad: pointer events, so a finger or a mouse),
   uploaded as a PNG through the files API when 同意 is pressed. The server checks again:
   mentions must be people of the approval, the signature the approver's own upload. */
(function () {
  "use strict";

  const form = document.getElementById("flow-form");
  if (!form) return;
  const comment = form.querySelector("#flow-comment-text");
  const menu = form.querySelector("#mention-menu");
  const chosen = form.querySelector("#mention-ids");

  /* -- @mentions ---------------------------------------------------------------------- */

  function openMenu(focus) {
    // Typing @ leaves the focus in the text (a phone keeps its keyboard); ↓ moves into the list.
    menu.classList.remove("d-none");
    form.querySelector("#mention-open").setAttribute("aria-expanded", "true");
    if (focus) menu.querySelector("[data-mention-id]").focus();
  }

  function closeMenu() {
    if (!menu || menu.classList.contains("d-none")) return;
    menu.classList.add("d-none");
    form.querySelector("#mention-open").setAttribute("aria-expanded", "false");
  }

  function mention(option) {
    const name = `@${option.dataset.mentionName} `;
    const at = comment.selectionStart ?? comment.value.length;
    const typed = comment.value.slice(0, at).endsWith("@") ? at - 1 : at;  // the @ just typed
    comment.value = comment.value.slice(0, typed) + name + comment.value.slice(at);
    const id = option.dataset.mentionId;
    if (!chosen.querySelector(`input[value="${CSS.escape(id)}"]`)) {
      const hidden = document.createElement("input");
      hidden.type = "hidden"; hidden.name = "mentions"; hidden.value = id;
      hidden.dataset.mentionName = option.dataset.mentionName;
      chosen.append(hidden);
    }
    closeMenu();
    comment.focus();
    comment.setSelectionRange(typed + name.length, typed + name.length);
  }

  if (menu) {
    comment.addEventListener("input", (event) => {
      if (event.data === "@") openMenu(false);
    });
    comment.addEventListener("keydown", (event) => {
      if (menu.classList.contains("d-none")) return;
      if (event.key === "ArrowDown") { event.preventDefault(); openMenu(true); }
      if (event.key === "Escape") closeMenu();
    });
    form.querySelector("#mention-open").addEventListener("click", () => {
      if (menu.classList.contains("d-none")) openMenu(true); else closeMenu();
    });
    menu.addEventListener("click", (event) => {
      const option = event.target.closest("[data-mention-id]");
      if (option) mention(option);
    });
    menu.addEventListener("keydown", (event) => {
      const options = [...menu.querySelectorAll("[data-mention-id]")];
      const at = options.indexOf(document.activeElement);
      if (event.key === "ArrowDown") { event.preventDefault(); options[Math.min(at + 1, options.length - 1)].focus(); }
      if (event.key === "ArrowUp") { event.preventDefault(); options[Math.max(at - 1, 0)].focus(); }
      if (event.key === "Escape") { closeMenu(); comment.focus(); }
    });
    document.addEventListener("click", (event) => {
      if (!event.target.closest("#mention-menu, #mention-open")) closeMenu();
    });
  }

  /* -- the signature pad -------------------------------------------------------------- */

  const canvas = form.querySelector("#signature-pad");
  let pad = null;

  function fit() {
    // The canvas draws in device pixels; resizing clears it, so the strokes are drawn again.
    const ratio = Math.max(window.devicePixelRatio || 1, 1);
    const strokes = pad.toData();
    canvas.width = canvas.offsetWidth * ratio;
    canvas.height = canvas.offsetHeight * ratio;
    canvas.getContext("2d").scale(ratio, ratio);
    pad.clear();
    pad.fromData(strokes);
  }

  if (canvas && window.SignaturePad) {
    pad = new window.SignaturePad(canvas, { backgroundColor: "rgb(255, 255, 255)", penColor: "rgb(20, 20, 20)" });
    fit();
    let width = canvas.offsetWidth;
    window.addEventListener("resize", () => {
      if (canvas.offsetWidth !== width) { width = canvas.offsetWidth; fit(); }
    });
    pad.addEventListener("endStroke", () => {
      form.querySelector("#signature-box").classList.remove("is-invalid");
      form.querySelector("#signature-value").value = "";  // a new stroke: upload again
    });
    form.querySelector("#signature-clear").addEventListener("click", () => {
      pad.clear();
      form.querySelector("#signature-value").value = "";
    });
  }

  function uploadSignature(then, failed) {
    canvas.toBlob((blob) => {
      const body = new FormData();
      body.append("file", blob, "signature.png");
      fetch(form.dataset.uploadUrl, {
        method: "POST",
        body,
        headers: { "X-CSRF-Token": document.querySelector('meta[name="csrf-token"]').content, Accept: "application/json" },
        credentials: "same-origin",
      })
        .then((answer) => answer.json().then((json) => ({ ok: answer.ok, json })))
        .then(({ ok, json }) => {
          if (!ok) throw new Error(json.detail || json.title || "upload");
          form.querySelector("#signature-value").value = String(json.id);
          then();
        })
        .catch((error) => {
          const problem = form.querySelector("#signature-problem");
          problem.textContent = error.message;
          problem.classList.remove("d-none");
          failed();
        });
    }, "image/png");
  }

  /* -- posting -------------------------------------------------------------------------- */

  // On the document, after loom.js's own listener: a post it stopped (a required comment) stays stopped.
  document.addEventListener("submit", (event) => {
    if (event.target !== form || event.defaultPrevented) return;
    // Mentions whose @name was deleted from the text are not sent.
    for (const hidden of chosen ? [...chosen.querySelectorAll("input")] : []) {
      if (!comment.value.includes(`@${hidden.dataset.mentionName}`)) hidden.remove();
    }
    const approving = event.submitter && event.submitter.dataset.operation === "approve";
    if (!pad || !approving || form.querySelector("#signature-value").value) return;
    event.preventDefault();
    if (pad.isEmpty()) {
      const box = form.querySelector("#signature-box");
      box.classList.add("is-invalid");
      box.scrollIntoView({ block: "center" });
      return;
    }
    const submitter = event.submitter;
    submitter.disabled = true;
    const again = () => { submitter.disabled = false; };
    uploadSignature(() => { again(); form.requestSubmit(submitter); }, again);
  });
})();
