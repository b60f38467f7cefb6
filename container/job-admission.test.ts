import { describe, expect, it } from "vitest";
import { JobAdmission } from "./job-admission";

describe("JobAdmission", () => {
  it("admits up to its limit and again after a release; a double release counts once", () => {
    const admission = new JobAdmission(2);
    const a = admission.tryEnter();
    const b = admission.tryEnter();
    expect(a && b).toBeTruthy();
    expect(admission.tryEnter()).toBeNull();
    a?.();
    a?.();
    expect(admission.jobs).toBe(1);
    expect(admission.tryEnter()).not.toBeNull();
    expect(admission.tryEnter()).toBeNull();
  });
});
