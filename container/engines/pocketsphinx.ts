import { RUNNER_SPEECH_LANGUAGES } from "../../contracts/languages";
import { parsePocketsphinxTimes, utteranceEnd } from "./pocketsphinx-output";
import type { SpeechEngine } from "./speech-engine";

/** The Debian `pocketsphinx-en-us` model; passed explicitly so the runner does not depend on build defaults. */
const EN_US_MODEL = "/usr/share/pocketsphinx/model/en-us";

export const pocketsphinx: SpeechEngine = {
  name: "pocketsphinx",
  languages: RUNNER_SPEECH_LANGUAGES,

  async version(run) {
    // The 5prealpha binaries have no version flag; the Debian package records it.
    // `dpkg-query --show` prints "name<TAB>version".
    const { stdout } = await run("dpkg-query", ["--show", "pocketsphinx"]);
    return stdout.toString().trim().split("\t")[1] || "unknown";
  },

  async transcribe(run, rawPcmPath, _language, onHeard) {
    // Raw PCM rather than WAV: for `.wav` names pocketsphinx reads a fixed 44-byte header, and ffmpeg's WAV
    // headers are longer (the rest would be decoded as noise); any other name is read as raw samples.
    const { stdout } = await run(
      "pocketsphinx_continuous",
      [
        ...["-infile", rawPcmPath, "-time", "yes"],
        ...[
          "-hmm",
          `${EN_US_MODEL}/en-us`,
          "-lm",
          `${EN_US_MODEL}/en-us.lm.bin`,
          "-dict",
          `${EN_US_MODEL}/cmudict-en-us.dict`,
        ],
        // The log goes to stdout unless sent elsewhere, and stdout must hold only the results.
        ...["-logfn", "/dev/null"],
      ],
      {
        // Each utterance is written (and flushed) as soon as it is recognized; its end says how far it got.
        onStdoutLine: (line) => {
          const heard = utteranceEnd(line);
          if (heard !== null) onHeard?.(heard);
        },
      },
    );
    return parsePocketsphinxTimes(stdout.toString());
  },
};
