/* The task page's comment box: @ offers the approval's people (the server checks again: mentions
   must be people of the approval). A step's handwritten signature is signature.js's. */
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

  /* -- posting -------------------------------------------------------------------------- */

  // On the document, after loom.js's own listener: a post it stopped (a required comment) stays stopped.
  document.addEventListener("submit", (event) => {
    if (event.target !== form || event.defaultPrevented) return;
    // Mentions whose @name was deleted from the text are not sent.
    for (const hidden of chosen ? [...chosen.querySelectorAll("input")] : []) {
      if (!comment.value.includes(`@${hidden.dataset.mentionName}`)) hidden.remove();
    }
  });
})();
