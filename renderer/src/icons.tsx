/** Sidebar icons: 20 px stroke drawings, decorative (every link has its text label). */
const PATHS: Record<string, string> = {
  overview: 'M3 3h6v8H3zM11 3h6v5h-6zM11 10h6v7h-6zM3 13h6v4H3z',
  pair: 'M8 12a3 3 0 0 1 0-4l2-2a3 3 0 0 1 4 4l-1 1M12 8a3 3 0 0 1 0 4l-2 2a3 3 0 0 1-4-4l1-1',
  queue: 'M4 5h12M4 10h12M4 15h7M14 13l2 2-2 2',
  checks: 'M4 10l4 4 8-9',
  identity: 'M7 12a4 4 0 1 1 3.5-6H17v3h-2v2h-3l-1.5 1A4 4 0 0 1 7 12zM6 8h.01',
  settings:
    'M10 13a3 3 0 1 0 0-6 3 3 0 0 0 0 6zM10 2v2M10 16v2M2 10h2M16 10h2M4.3 4.3l1.4 1.4M14.3 14.3l1.4 1.4M4.3 15.7l1.4-1.4M14.3 5.7l1.4-1.4',
  logs: 'M5 3h10v14H5zM8 7h4M8 10h4M8 13h2',
};

export function Icon(props: { name: string }) {
  return (
    <svg
      width="20"
      height="20"
      viewBox="0 0 20 20"
      aria-hidden="true"
      focusable="false"
      className="icon"
    >
      <path
        d={PATHS[props.name] ?? PATHS.overview}
        fill="none"
        stroke="currentColor"
        strokeWidth="1.6"
        strokeLinecap="round"
        strokeLinejoin="round"
      />
    </svg>
  );
}
