export * from "./dead-letter";
export * from "./errors";
export * from "./job";
export * from "./job-state-machine";
export * from "./media";
export * from "./queue";
export * from "./results";
export * from "./runner";
