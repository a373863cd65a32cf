/** An incoming reservation: a short two-tone chime and, when allowed, a browser notification. */
export function ring(notification: { title: string; body: string }): void {
  try {
    const audio = new AudioContext();
    for (const [i, frequency] of [880, 660].entries()) {
      const tone = audio.createOscillator();
      const gain = audio.createGain();
      tone.frequency.value = frequency;
      gain.gain.value = 0.1;
      tone.connect(gain).connect(audio.destination);
      tone.start(audio.currentTime + i * 0.25);
      tone.stop(audio.currentTime + i * 0.25 + 0.2);
    }
    setTimeout(() => void audio.close(), 1_000);
  } catch {
    // No audio device, or the page has not been interacted with yet: the banner still shows.
  }
  if ("Notification" in window && Notification.permission === "granted" && document.hidden)
    new Notification(notification.title, { body: notification.body });
}
