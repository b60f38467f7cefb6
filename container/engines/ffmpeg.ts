import type { Run } from "../exec";

export interface MediaProbe {
  /** From the container; null when it does not say (e.g. streamed WebM recordings). */
  durationS: number | null;
  hasAudio: boolean;
  /** Channels of the first audio stream (0 without audio). */
  channels: number;
}

/** A stretch of time in seconds from the start (of a file, or of a decoded part of it). */
export interface TimeSpan {
  start: number;
  end: number;
}

/** A stretch of near-silence. */
export type Silence = TimeSpan;

/**
 * Demuxers ffmpeg may use on uploads. Without this list an upload could be a playlist or concat script that
 * makes ffmpeg open other local files; with it only real audio/video containers are parsed.
 */
const UPLOAD_DEMUXERS = [
  "wav,w64,aiff,caf,mp3,aac,flac,ogg,amr",
  "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,avi,asf,mpeg,mpegts",
].join(",");
const UPLOAD_INPUT_GUARDS = ["-protocol_whitelist", "file,pipe", "-format_whitelist", UPLOAD_DEMUXERS];

/**
 * The demuxer for each sniffed type: an upload is opened as what its bytes said it is, never as
 * whatever ffmpeg's own probing might make of it. Types not listed are probed within the whitelist.
 */
const DEMUXER_OF: Record<string, string> = {
  "audio/wav": "wav",
  "audio/mpeg": "mp3",
  "audio/mp4": "mov",
  "audio/aac": "aac",
  "audio/ogg": "ogg",
  "audio/flac": "flac",
  "video/mp4": "mov",
  "video/quicktime": "mov",
  "video/x-matroska": "matroska",
  "video/webm": "matroska",
};
const forcedDemuxer = (mediaType?: string) => {
  const demuxer = mediaType ? DEMUXER_OF[mediaType] : undefined;
  return demuxer ? ["-f", demuxer] : [];
};

/** The format speech recognizers expect: 16 kHz, mono, signed 16-bit little-endian samples. */
const SPEECH_PCM = ["-ac", "1", "-ar", "16000", "-c:a", "pcm_s16le"];

/** Adapter for ffmpeg and ffprobe. */
export const ffmpeg = {
  async version(run: Run): Promise<string> {
    const { stdout } = await run("ffmpeg", ["-hide_banner", "-version"]);
    return /ffmpeg version (\S+)/.exec(stdout.toString())?.[1] ?? "unknown";
  },

  /** Duration and streams of a file; an upload is opened with the demuxer of its sniffed `mediaType`. */
  async probe(run: Run, inputPath: string, mediaType?: string): Promise<MediaProbe> {
    const { stdout } = await run("ffprobe", [
      ...["-v", "error", ...UPLOAD_INPUT_GUARDS, ...forcedDemuxer(mediaType)],
      ...["-show_entries", "format=duration:stream=codec_type,channels", "-of", "json", inputPath],
    ]);
    return parseProbe(stdout.toString());
  },

  /**
   * Decodes the audio of `inputPath` (ffmpeg picks the main audio stream) into a speech-format WAV file;
   * only `span` of it (seconds on the file's timeline) when given; only `channel` (0-based) of it when
   * given, else all channels mixed down.
   */
  async extractSpeechAudio(
    run: Run,
    inputPath: string,
    wavPath: string,
    {
      span,
      mediaType,
      channel,
    }: { span?: TimeSpan | undefined; mediaType?: string; channel?: number | undefined } = {},
  ): Promise<void> {
    const seek = span ? ["-ss", String(span.start), "-t", String(span.end - span.start)] : [];
    const pick = channel === undefined ? [] : ["-af", `pan=mono|c0=c${channel}`];
    await run("ffmpeg", [
      ...["-nostdin", "-v", "error", ...UPLOAD_INPUT_GUARDS, ...forcedDemuxer(mediaType), ...seek, "-i", inputPath],
      ...["-vn", ...pick, ...SPEECH_PCM, "-y", wavPath],
    ]);
  },

  /** Silences of at least `minSeconds` below `noiseDb`. */
  async detectSilences(
    run: Run,
    wavPath: string,
    { noiseDb, minSeconds, durationS }: { noiseDb: number; minSeconds: number; durationS: number },
  ): Promise<Silence[]> {
    // `ametadata` prints the detector's marks to stdout, so they need not be scraped from the log.
    const filter = `silencedetect=noise=${noiseDb}dB:d=${minSeconds},ametadata=mode=print:file=-`;
    const { stdout } = await run("ffmpeg", [
      ...["-nostdin", "-v", "error", "-i", wavPath],
      ...["-af", filter, "-f", "null", "-"],
    ]);
    return parseSilences(stdout.toString(), durationS);
  },

  /** Re-encodes one still image as 8-bit RGB PNG: for images the OCR engine cannot read as they are. */
  async toEightBitPng(run: Run, imagePath: string, pngPath: string): Promise<void> {
    await run("ffmpeg", [
      ...["-nostdin", "-v", "error", "-protocol_whitelist", "file", "-i", imagePath],
      ...["-frames:v", "1", "-pix_fmt", "rgb24", "-y", pngPath],
    ]);
  },

  /**
   * A page image as a small grayscale picture, `width` pixels wide, as raw bytes (one per pixel, rows
   * top to bottom): enough to measure the page's skew in a few milliseconds.
   */
  async grayThumbnail(
    run: Run,
    imagePath: string,
    width: number,
  ): Promise<{ pixels: Uint8Array; width: number; height: number }> {
    const { stdout } = await run("ffmpeg", [
      ...["-nostdin", "-v", "error", "-protocol_whitelist", "file", "-i", imagePath],
      ...["-frames:v", "1", "-vf", `scale=${width}:-2:flags=area,format=gray`, "-f", "rawvideo", "pipe:1"],
    ]);
    return { pixels: new Uint8Array(stdout), width, height: Math.floor(stdout.length / width) };
  },

  /** A page image in shades of grey at its full size, as raw bytes (one per pixel, rows top to bottom). */
  async grayPicture(run: Run, imagePath: string): Promise<{ pixels: Uint8Array; width: number; height: number }> {
    const { stdout } = await run("ffmpeg", [
      ...["-nostdin", "-v", "error", "-protocol_whitelist", "file", "-i", imagePath],
      ...["-frames:v", "1", "-vf", "format=gray", "-c:v", "pgm", "-f", "image2pipe", "pipe:1"],
    ]);
    // A binary PGM: "P5", width, height and the largest value (255), each ended by one white-space byte.
    const header = /^P5\s+(\d+)\s+(\d+)\s+255\s/.exec(stdout.subarray(0, 64).toString("latin1"));
    if (!header) throw new Error("ffmpeg gave no 8-bit PGM");
    const [all, width, height] = header as unknown as [string, string, string];
    const pixels = new Uint8Array(stdout.buffer, stdout.byteOffset + all.length, Number(width) * Number(height));
    return { pixels, width: Number(width), height: Number(height) };
  },

  /**
   * A page image turned upright: `quarterTurns` quarter turns clockwise, then `degrees` clockwise
   * (the canvas grows to hold the whole page, the new corners white), as an uncompressed PNM the
   * OCR engine reads at once: grey (PGM) for a grey page, else colour (PPM), which the engine reads
   * about 40 % slower (1.65 s against 1.18 s for the same A4 page at 300 dpi).
   */
  async turn(
    run: Run,
    imagePath: string,
    turn: { quarterTurns: number; degrees: number },
    outPath: string,
    { grey }: { grey: boolean },
  ): Promise<void> {
    const quarter =
      [[], ["transpose=clock"], ["hflip", "vflip"], ["transpose=cclock"]][((turn.quarterTurns % 4) + 4) % 4] ?? [];
    const radians = (turn.degrees * Math.PI) / 180;
    const fine =
      turn.degrees === 0
        ? []
        : [`rotate=${radians.toFixed(6)}:ow=rotw(${radians.toFixed(6)}):oh=roth(${radians.toFixed(6)}):c=white`];
    await run("ffmpeg", [
      ...["-nostdin", "-v", "error", "-protocol_whitelist", "file", "-i", imagePath],
      ...[
        "-frames:v",
        "1",
        "-vf",
        [grey ? "format=gray" : "format=rgb24", ...quarter, ...fine].join(","),
        "-y",
        outPath,
      ],
    ]);
  },

  /** A page image with its longer side at most `maxSide`, in shades of grey, as an uncompressed PGM (for orientation detection). */
  async scaled(run: Run, imagePath: string, maxSide: number, outPath: string): Promise<void> {
    await run("ffmpeg", [
      ...["-nostdin", "-v", "error", "-protocol_whitelist", "file", "-i", imagePath],
      ...[
        "-frames:v",
        "1",
        "-vf",
        `scale='if(gte(iw,ih),min(iw,${maxSide}),-2)':'if(gte(iw,ih),-2,min(ih,${maxSide}))':flags=area,format=gray`,
        "-y",
        outPath,
      ],
    ]);
  },

  /** Cuts `[startS, startS + lengthS)` of a speech WAV into a WAV file of its own. */
  async cutWav(run: Run, wavPath: string, startS: number, lengthS: number, outPath: string): Promise<void> {
    await run("ffmpeg", [
      ...["-nostdin", "-v", "error", "-ss", startS.toFixed(3), "-t", lengthS.toFixed(3), "-i", wavPath],
      ...[...SPEECH_PCM, "-f", "wav", "-y", outPath],
    ]);
  },

  /** Cuts `[startS, startS + lengthS)` of a speech WAV into headerless PCM (see the speech engine). */
  async cutRawPcm(run: Run, wavPath: string, startS: number, lengthS: number, rawPath: string): Promise<void> {
    await run("ffmpeg", [
      ...["-nostdin", "-v", "error", "-ss", startS.toFixed(3), "-t", lengthS.toFixed(3), "-i", wavPath],
      ...[...SPEECH_PCM, "-f", "s16le", "-y", rawPath],
    ]);
  },
};

export function parseProbe(json: string): MediaProbe {
  const probe = JSON.parse(json) as {
    format?: { duration?: string };
    streams?: { codec_type?: string; channels?: number }[];
  };
  const duration = Number(probe.format?.duration);
  const audio = (probe.streams ?? []).find((stream) => stream.codec_type === "audio");
  return {
    durationS: Number.isFinite(duration) && duration >= 0 ? duration : null,
    hasAudio: audio !== undefined,
    channels: audio ? Math.max(1, audio.channels ?? 1) : 0,
  };
}

/** Reads `lavfi.silence_start=` / `lavfi.silence_end=` marks; a silence still open at the end lasts to the end. */
export function parseSilences(metadata: string, durationS: number): Silence[] {
  const silences: Silence[] = [];
  let openStart: number | undefined;
  for (const [, mark, value] of metadata.matchAll(/lavfi\.silence_(start|end)=(-?[\d.]+)/g)) {
    const at = Math.max(Number(value), 0);
    if (mark === "start") openStart = at;
    else if (openStart !== undefined) {
      silences.push({ start: openStart, end: at });
      openStart = undefined;
    }
  }
  if (openStart !== undefined && openStart < durationS) silences.push({ start: openStart, end: durationS });
  return silences;
}
