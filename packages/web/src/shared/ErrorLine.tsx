/** A failure to tell the person about, read out by screen readers as it appears. */
export function ErrorLine({ error }: { error: string | undefined }) {
  if (!error) return null;
  return (
    <p role="alert" className="text-sm text-red-700">
      {error}
    </p>
  );
}
