// @ts-check
/**
 * Example desktop plugin: before an agent accepts a task, they confirm they have read the customer's
 * details. It adds a checkbox to every ringing task (the `incoming-task` slot) and blocks the
 * AcceptTask action until that task's box is ticked.
 *
 * Plain JavaScript with no build step, checked against @switchboard/plugin-api's types.
 * Enable it as an admin: Admin → Desktop settings → Plugins → /plugins/accept-checklist/index.js
 */

const ENGLISH = {
  label: "I have read the customer's details",
  blocked: "Tick “I have read the customer's details” before accepting.",
};
/** @type {Record<string, typeof ENGLISH>} */
const WORDS = {
  en: ENGLISH,
  fr: {
    label: "J'ai lu les informations du client",
    blocked: "Cochez « J'ai lu les informations du client » avant d'accepter.",
  },
};

/** @type {import("@switchboard/plugin-api").Plugin} */
const plugin = {
  name: "accept-checklist",
  init(api) {
    const words = WORDS[api.language] ?? ENGLISH;
    /** Reservations whose box is ticked. */
    const ticked = new Set();

    api.slots.add("incoming-task", {
      mount(container, context) {
        const task = context.task;
        if (!task) return;
        const label = document.createElement("label");
        label.className = "mt-2 flex items-center gap-2 text-sm";
        const box = document.createElement("input");
        box.type = "checkbox";
        box.checked = ticked.has(task.reservationSid);
        box.addEventListener("change", () => {
          if (box.checked) ticked.add(task.reservationSid);
          else ticked.delete(task.reservationSid);
        });
        label.append(box, words.label);
        container.append(label);
        return { unmount: () => label.remove() };
      },
    });

    api.actions.addListener("beforeAcceptTask", (payload, abort) => {
      if (!ticked.has(payload.task.reservationSid)) abort(words.blocked);
    });
    api.actions.addListener("afterAcceptTask", (payload) => {
      ticked.delete(payload.task.reservationSid);
    });
  },
};

export default plugin;
