import { describe, expect, it } from "vitest";
import { parseProbe, parseSilences } from "./ffmpeg";

describe("parseSilences", () => {
  it("pairs start and end marks, and runs a silence still open at the end to the end", () => {
    const metadata = [
      "frame:48   pts:98304   pts_time:6.144",
      "lavfi.silence_start=5.9025",
      "frame:64   pts:131072  pts_time:8.192",
      "lavfi.silence_end=8.30213",
      "lavfi.silence_duration=2.39962",
      "lavfi.silence_start=-0.01",
      "lavfi.silence_end=0.5",
      "lavfi.silence_start=11.2",
    ].join("\n");
    expect(parseSilences(metadata, 12)).toEqual([
      { start: 5.9025, end: 8.30213 },
      { start: 0, end: 0.5 },
      { start: 11.2, end: 12 },
    ]);
  });

  it("finds nothing in audio without silences", () => {
    expect(parseSilences("", 10)).toEqual([]);
  });
});

describe("parseProbe", () => {
  it("reads the duration, whether any stream is audio, and the audio's channels", () => {
    const json =
      '{"streams":[{"codec_type":"video"},{"codec_type":"audio","channels":2}],"format":{"duration":"6.016000"}}';
    expect(parseProbe(json)).toEqual({ durationS: 6.016, hasAudio: true, channels: 2 });
  });

  it("gives a null duration when the container has none", () => {
    expect(parseProbe('{"streams":[{"codec_type":"video"}],"format":{}}')).toEqual({
      durationS: null,
      hasAudio: false,
      channels: 0,
    });
  });
});
