import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          environment: "node",
          include: [
            "client/**/*.test.ts",
            "contracts/**/*.test.ts",
            "scripts/**/*.test.ts",
            "test/support/**/*.test.ts",
            "web/src/**/*.test.ts",
          ],
          setupFiles: ["./web/src/test-setup.ts"],
        },
      },
      {
        test: {
          name: "runner",
          environment: "node",
          include: ["container/**/*.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        plugins: [
          cloudflareTest(async () => ({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              // Port 9 refuses connections: worker tests run without a media runner.
              bindings: {
                TEST_MIGRATIONS: await readD1Migrations("./migrations"),
                RUNNER_URL: "http://127.0.0.1:9",
                // Flag changes are seen at once (production keeps them a few seconds per isolate).
                FLAGS_CACHE_SECONDS: "0",
                READYZ_CACHE_SECONDS: "0",
                LOG_LEVEL: "warn",
                CORS_ORIGINS: "https://app.example.test",
                // The smallest part R2 accepts, so multipart tests stay small.
                UPLOAD_PART_BYTES: String(5 * 1024 * 1024),
              },
              // A lower request limit than production's, so a test can reach it.
              ratelimits: { API_RATE_LIMIT: { namespace_id: "1001", simple: { limit: 100, period: 60 } } },
              // Sent work waits in the queues as long as the local queue allows (batches of 100 or a
              // minute, the maximums): consumer tests drive the consumers themselves (createMessageBatch),
              // and tests that count what was sent capture it (captureSends) so that it never reaches the
              // consumer during another test. Delivery through the real queues is the end-to-end tests' job.
              queueConsumers: Object.fromEntries(
                ["verbatim-ocr", "verbatim-av", "verbatim-webhooks"].map((q) => [
                  q,
                  { maxBatchSize: 100, maxBatchTimeout: 60 },
                ]),
              ),
            },
          })),
        ],
        test: {
          name: "workers",
          include: ["worker/**/*.test.ts", "consumers/**/*.test.ts"],
          // Every test here runs in workerd against local D1, R2, queues and Durable Objects, and
          // some move megabytes: sized for a machine busy with other work, not the 5 s default.
          testTimeout: 30_000,
          hookTimeout: 60_000,
          // One file at a time: tests count messages on the shared local queues.
          fileParallelism: false,
          setupFiles: ["./worker/test/apply-migrations.ts"],
        },
      },
      {
        test: {
          name: "e2e",
          environment: "node",
          include: ["test/e2e/**/*.test.ts"],
          testTimeout: 600_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
