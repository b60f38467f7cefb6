import { useEffect, useRef } from "preact/hooks";
import { LocationProvider, lazy, Route, Router, useLocation } from "preact-iso";
import { CALLBACK_PATH } from "./api/oidc";
import { session } from "./state/session";
import { signOutEverywhere } from "./state/sign-in";
import { type Theme, theme } from "./state/theme";
import { AccountPage } from "./views/account/account-page";
import { HistoryPage } from "./views/history/history-page";
import { SignInPage } from "./views/sign-in-page";
import { UploadPage } from "./views/upload/upload-page";

/** A job's page (its results: viewers, page reader, transcript) loads when first opened, not with the app. */
const JobPage = lazy(() => import("./views/job/job-page").then((m) => m.JobPage));

const NAV = [
  { href: "/", label: "Upload" },
  { href: "/jobs", label: "History" },
  { href: "/account", label: "Account" },
  { href: "/docs/", label: "API docs" },
] as const;

/** Paths the app's router handles; /docs/ is a page of its own (the API reference). */
const APP_SCOPE = /^\/(?!docs\/)/;

function Header() {
  const { path } = useLocation();
  const current = (href: string) => (href === "/" ? path === "/" : path.startsWith(href));
  return (
    <header class="app-header">
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <a class="brand" href="/">
        Verbatim
      </a>
      <nav aria-label="Main">
        {NAV.map(({ href, label }) => (
          <a key={href} href={href} aria-current={current(href) ? "page" : undefined}>
            {label}
          </a>
        ))}
      </nav>
      <span class="spacer" />
      <label class="row small">
        <span class="hide-narrow">Theme</span>
        <select aria-label="Theme" value={theme.value} onChange={(e) => (theme.value = e.currentTarget.value as Theme)}>
          <option value="system">System</option>
          <option value="light">Light</option>
          <option value="dark">Dark</option>
        </select>
      </label>
      <span class="small muted truncate" data-testid="signed-in-as">
        {session.value?.email}
      </span>
      <button type="button" onClick={() => void signOutEverywhere()}>
        Sign out
      </button>
    </header>
  );
}

/** After a navigation inside the app, focus moves to the new page (as a page load would put it). */
function FocusOnNavigation() {
  const { path } = useLocation();
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    document.getElementById("main")?.focus();
  }, [path]);
  return null;
}

/** The sign-in callback once signed in (the browser's back button, say): nothing left to do there. */
function SignedIn() {
  const { route } = useLocation();
  useEffect(() => route("/", true), [route]);
  return null;
}

function NotFound() {
  return (
    <div class="card">
      <h1>Not found</h1>
      <p>
        There is nothing at this address. <a href="/">Back to uploads</a>.
      </p>
    </div>
  );
}

export function App() {
  if (!session.value) return <SignInPage />;
  return (
    <LocationProvider scope={APP_SCOPE}>
      <Header />
      <FocusOnNavigation />
      <main id="main" tabIndex={-1}>
        <Router>
          <Route path="/" component={UploadPage} />
          <Route path="/jobs" component={HistoryPage} />
          <Route path="/jobs/:id" component={JobPage} />
          <Route path="/account" component={AccountPage} />
          <Route path={CALLBACK_PATH} component={SignedIn} />
          <Route default component={NotFound} />
        </Router>
      </main>
    </LocationProvider>
  );
}
