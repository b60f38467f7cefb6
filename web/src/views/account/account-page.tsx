import { useEffect } from "preact/hooks";
import { closeAccount, openAccount } from "../../state/account";
import { KeysSection } from "./keys-section";
import { UsageSection } from "./usage-section";
import { WebhooksSection } from "./webhooks-section";
import "./account.css";
import { usePageTitle } from "../components/page-title";

/** The account: usage against quotas, API keys, webhook endpoints. */
export function AccountPage() {
  usePageTitle("Account");
  useEffect(() => {
    openAccount();
    return closeAccount;
  }, []);
  return (
    <div class="account">
      <h1>Account</h1>
      <UsageSection />
      <KeysSection />
      <WebhooksSection />
    </div>
  );
}
