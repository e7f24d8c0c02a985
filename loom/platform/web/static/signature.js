/* A handwritten signature on a form marked data-signing (signature_pad: pointer events, so a
   finger or a mouse), uploaded as a PNG through the files API when the form is sent, its id
   put in the form's `signature` field. data-signing="approve": the task page, where 同意 needs
   it; data-signing="ticked": the inbox's 批量同意, where it is needed (and shown) once a ticked
   task's step requires a signature, and one signature signs every task approved. The server
   checks again: the signature must be the signer's own upload, and a whole PNG image. */
(function () {
  "use strict";

  const form = document.querySelector("form[data-signing]");
  const canvas = form && form.querySelector("#signature-pad");
  if (!canvas || !window.SignaturePad) return;
  const value = form.querySelector("#signature-value");
  const box = form.querySelector("#signature-box");
  const field = form.querySelector("#signature-field");
  const pad = new window.SignaturePad(canvas, { backgroundColor: "rgb(255, 255, 255)", penColor: "rgb(20, 20, 20)" });

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

  function needed(submitter) {
    if (form.dataset.signing === "ticked") return Boolean(document.querySelector("[data-batch-task][data-signed]:checked"));
    return Boolean(submitter && submitter.dataset.operation === "approve");
  }

  function showWhenNeeded() {
    // The inbox shows the pad only while a ticked task needs it; the task page always does.
    if (form.dataset.signing !== "ticked") return;
    const hidden = field.classList.contains("d-none");
    field.classList.toggle("d-none", !needed(null));
    if (hidden && !field.classList.contains("d-none")) fit();
  }

  fit();
  let width = canvas.offsetWidth;
  window.addEventListener("resize", () => {
    if (canvas.offsetWidth !== width) { width = canvas.offsetWidth; fit(); }
  });
  pad.addEventListener("endStroke", () => {
    box.classList.remove("is-invalid");
    value.value = "";  // a new stroke: upload again
  });
  form.querySelector("#signature-clear").addEventListener("click", () => {
    pad.clear();
    value.value = "";
  });
  document.addEventListener("change", (event) => {
    if (event.target.matches("[data-batch-task]")) showWhenNeeded();
  });
  showWhenNeeded();

  function upload(then, failed) {
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
          value.value = String(json.id);
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

  // On the document, after loom.js's own listener: a post it stopped (a required comment) stays stopped.
  document.addEventListener("submit", (event) => {
    if (event.target !== form || event.defaultPrevented) return;
    if (!needed(event.submitter) || value.value) return;
    event.preventDefault();
    if (pad.isEmpty()) {
      box.classList.add("is-invalid");
      box.scrollIntoView({ block: "center" });
      return;
    }
    const submitter = event.submitter;
    submitter.disabled = true;
    const again = () => { submitter.disabled = false; };
    upload(() => { again(); form.requestSubmit(submitter); }, again);
  });
})();
