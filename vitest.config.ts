import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "test/**/*.test.tsx"],
    globalSetup: ["test/global-setup.ts"],
    // Integration tests start real nats-servers and services; two cores, so few files at once.
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Shown with the failure: which nats-server log or run directory to read.
    reporters: ["default"],
    // graphql 16 ships CJS (main) and ESM (module): Node loads the CJS one for every importer, but
    // vitest resolves our sources' import to the ESM one while graphql-http/-sse, left to Node,
    // get the CJS one: two graphql modules, and "Cannot use GraphQLSchema from another module".
    // Run the two through vitest's resolution too, so all share one graphql.
    server: { deps: { inline: ["graphql-http", "graphql-sse"] } },
  },
});
