import { useId, useState } from "preact/hooks";
import { scopesOfRole } from "../../../../contracts/api-keys";
import { formatDate, formatRelative } from "../../format/date";
import {
  type ApiKeyInfo,
  actionOf,
  createdKey,
  createKey,
  dismissCreatedKey,
  keyCreation,
  keys,
  loadKeys,
  revokeKey,
  type Scope,
} from "../../state/account";
import { ErrorNotice } from "../components/error-notice";
import { ChoiceList } from "./choice-list";
import { InlineConfirm } from "./inline-confirm";
import { SecretReveal } from "./secret-reveal";

/**
 * The scopes offered here: every user's. A key with all of them chosen is created with the scopes
 * the account holds (an admin's then also administers); admins make narrower admin keys with the API.
 */
const OFFERED = scopesOfRole("user");
const SCOPE_HINTS: Record<Scope, string> = {
  "jobs:read": "read jobs, results and usage",
  "jobs:write": "submit and cancel jobs",
  "keys:manage": "create and revoke API keys",
  "webhooks:manage": "manage webhook endpoints",
  admin: "the admin routes (admins only)",
};

function When({ iso, relative }: { iso: string; relative?: boolean }) {
  return (
    <time dateTime={iso} title={formatDate(iso)}>
      {relative ? formatRelative(iso) : formatDate(iso)}
    </time>
  );
}

function CreateKeyForm() {
  const nameId = useId();
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState<Scope[]>([...OFFERED]);
  const { busy, error, invalid } = keyCreation.value;

  async function onSubmit(e: Event) {
    e.preventDefault();
    if (await createKey(name, scopes)) {
      setName("");
      setScopes([...OFFERED]);
    }
  }

  return (
    <form class="stack" onSubmit={onSubmit} noValidate aria-labelledby="create-key-heading">
      <h3 id="create-key-heading">New key</h3>
      <div class="field">
        <label for={nameId}>Key name</label>
        <input
          id={nameId}
          type="text"
          maxLength={100}
          value={name}
          onInput={(e) => setName(e.currentTarget.value)}
          placeholder="e.g. CI pipeline"
          autoComplete="off"
          aria-invalid={invalid ? true : undefined}
        />
      </div>
      <ChoiceList
        legend="Scopes"
        name="scopes"
        options={OFFERED}
        hints={SCOPE_HINTS}
        chosen={scopes}
        onChange={setScopes}
      />
      {invalid && (
        <p class="error-box" role="alert">
          {invalid}
        </p>
      )}
      {error !== null && <ErrorNotice error={error} title="The key could not be created" />}
      <div class="row">
        <button type="submit" class="primary" disabled={busy}>
          Create key
        </button>
        {busy && <span aria-live="polite">Creating…</span>}
      </div>
    </form>
  );
}

function KeyRow({ item }: { item: ApiKeyInfo }) {
  const revoke = actionOf(`revoke:${item.id}`);
  return (
    <tr data-testid="key-row" class={item.revoked_at ? "revoked" : undefined}>
      <td data-label="Name" class="break">
        <strong>{item.name}</strong>
      </td>
      <td data-label="Prefix">
        <code>{item.prefix}…</code>
      </td>
      <td data-label="Scopes">
        <span class="tags">
          {item.scopes.map((s) => (
            <code key={s} class="code">
              {s}
            </code>
          ))}
        </span>
      </td>
      <td data-label="Created">
        <When iso={item.created_at} />
      </td>
      <td data-label="Last used">{item.last_used_at ? <When iso={item.last_used_at} relative /> : "Never"}</td>
      <td data-label="State">
        {item.revoked_at ? (
          <span class="badge bad" title={`Revoked ${formatDate(item.revoked_at)}`}>
            Revoked
          </span>
        ) : (
          <span class="badge good">Active</span>
        )}
        {item.revoked_at && (
          <div class="muted small">
            <When iso={item.revoked_at} relative />
          </div>
        )}
      </td>
      <td data-label="Actions">
        {!item.revoked_at && (
          <InlineConfirm
            label="Revoke"
            ariaLabel={`Revoke ${item.name}`}
            question="Revoke?"
            confirmLabel="Confirm revoke"
            busy={revoke.busy}
            onConfirm={() => void revokeKey(item.id)}
          />
        )}
        {revoke.error !== null && <ErrorNotice error={revoke.error} title={`${item.name} could not be revoked`} />}
      </td>
    </tr>
  );
}

function KeyList() {
  const { loading, error, data } = keys.value;
  return (
    <div class="stack">
      <div class="section-head">
        <h3>Your keys</h3>
        <button type="button" onClick={() => void loadKeys()} disabled={loading}>
          {loading && data ? "Refreshing…" : "Refresh"}
        </button>
      </div>
      {loading && !data && <p aria-live="polite">Loading…</p>}
      {error !== null && <ErrorNotice error={error} title="The keys could not be loaded" />}
      {data && data.length === 0 && <p class="muted">No API keys yet.</p>}
      {data && data.length > 0 && (
        <table class="responsive keys" data-testid="key-list">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Prefix</th>
              <th scope="col">Scopes</th>
              <th scope="col">Created</th>
              <th scope="col">Last used</th>
              <th scope="col">State</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {data.map((item) => (
              <KeyRow key={item.id} item={item} />
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

/** The caller's API keys: create (the key shown once), list, revoke (/v1/keys). */
export function KeysSection() {
  const created = createdKey.value;
  return (
    <section class="card stack" aria-labelledby="keys-heading" data-testid="keys-section">
      <h2 id="keys-heading">API keys</h2>
      <p class="muted">
        Programs use a key as <code class="code">Authorization: Bearer vb_…</code>. A key can do only what its scopes
        allow; revoking it stops it at once.
      </p>
      {created && (
        <SecretReveal
          title={`Key “${created.name}” created`}
          label="Your new API key"
          value={created.key}
          testId="new-key-value"
          onDone={dismissCreatedKey}
        />
      )}
      <CreateKeyForm />
      <KeyList />
    </section>
  );
}
