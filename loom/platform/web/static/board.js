/* The kanban board (board.html): dragging a card to another column, or choosing one in its
   移到… menu, posts the move with the card's version. The server decides (permissions, rules,
   automations): on success the board is fetched again, so counts, totals and chips are the
   server's; on refusal the card goes back where it was and the server's message shows. */
(function () {
  "use strict";

  const csrf = () => document.querySelector('meta[name="csrf-token"]').content;
  const board = () => document.getElementById("board");

  function say(text) {
    const box = document.getElementById("board-message");
    box.textContent = text || "";
    box.classList.toggle("d-none", !text);
  }

  /* The board again from the server; the moved card is brought into sight and takes the
     focus, so a keyboard or a phone goes on from where the card went. */
  async function refresh(record) {
    const holder = board();
    const left = holder.scrollLeft;
    const answer = await fetch(window.location.href, { headers: { Accept: "text/html" } });
    const page = new DOMParser().parseFromString(await answer.text(), "text/html");
    const fresh = page.getElementById("board");
    if (fresh) holder.innerHTML = fresh.innerHTML;
    holder.scrollLeft = left;
    arm();
    const moved = holder.querySelector(`.loom-board-card[data-record="${CSS.escape(record)}"] .loom-row-card`);
    if (moved) {
      moved.scrollIntoView({ block: "nearest", inline: "nearest" });
      moved.focus({ preventScroll: true });
    }
  }

  /* Post one move; resolves true when the server made it. */
  async function post(card, to) {
    const body = new FormData();
    body.append("record", card.dataset.record);
    body.append("version", card.dataset.version);
    body.append("to", to);
    const answer = await fetch(board().dataset.move, {
      method: "POST",
      body,
      headers: { Accept: "application/json", "X-CSRF-Token": csrf() },
    });
    let result = {};
    try { result = await answer.json(); } catch (e) { result = {}; }
    if (answer.ok && result.ok) {
      say("");
      await refresh(card.dataset.record);
      return true;
    }
    say(result.message || String(answer.status));
    return false;
  }

  function arm() {
    const holder = board();
    if (!holder || !holder.hasAttribute("data-movable") || typeof Sortable === "undefined") return;
    holder.querySelectorAll("[data-cards]").forEach((list) => {
      Sortable.create(list, {
        group: "board",
        sort: false,
        forceFallback: true,  // the same pointer handling for mouse and touch, and no native drag image
        fallbackOnBody: true,
        delay: 250,
        delayOnTouchOnly: true,  // a finger first scrolls the board; holding it picks the card up
        filter: ".loom-move",
        preventOnFilter: false,
        onEnd: async (event) => {
          if (event.from === event.to) return;
          const card = event.item;
          const to = event.to.closest("[data-column]").dataset.column;
          card.setAttribute("aria-busy", "true");
          const moved = await post(card, to);
          if (!moved) {  // back where it was
            event.from.insertBefore(card, event.from.children[event.oldIndex] || null);
            card.removeAttribute("aria-busy");
          }
        },
      });
    });
  }

  /* 移到…: the menu's buttons post through the same path as a drag. */
  document.addEventListener("submit", async (event) => {
    const form = event.target.closest(".loom-move form");
    if (!form || !board()) return;
    event.preventDefault();
    const card = form.closest("[data-record]");
    const moved = await post(card, event.submitter.value);
    if (!moved) form.closest("details").open = false;
  });

  document.addEventListener("DOMContentLoaded", arm);
})();
