// The prompt box and what the model can take: images for a vision model (button, drag and drop,
// paste), audio files or the microphone through a speech recognition model (the transcript lands
// in the box), and text files as context. Enter sends, Shift+Enter breaks the line.
import { useRef, useState } from "preact/hooks";
import { dataUrl, isAudio, isImage, isText, transcribe } from "../media.ts";
import { toWav } from "../wav.ts";
import type { TextFile } from "../types.ts";

export interface Draft {
  text: string;
  images: string[];
  files: TextFile[];
}

export function Composer(props: { busy: boolean; vision: boolean; asrModel?: string; disabled: boolean; onSend: (d: Draft) => void; onStop: () => void }) {
  const [text, setText] = useState("");
  const [images, setImages] = useState<string[]>([]);
  const [files, setFiles] = useState<TextFile[]>([]);
  const [status, setStatus] = useState("");
  const [error, setError] = useState("");
  const [recording, setRecording] = useState<MediaRecorder | null>(null);
  const [dragging, setDragging] = useState(false);
  const box = useRef<HTMLTextAreaElement>(null);

  const addTranscript = async (audio: Blob, name: string) => {
    if (!props.asrModel) return setError("no speech recognition model is available");
    setStatus(`transcribing ${name}…`);
    setError("");
    try {
      const t = (await transcribe(audio, name, props.asrModel)).trim();
      setText((old) => (old ? `${old} ${t}` : t));
      setStatus(t ? "transcript added" : "the model heard no words");
      box.current?.focus();
    } catch (e) {
      setStatus("");
      setError(e instanceof Error ? e.message : String(e));
    }
  };

  const take = async (list: Iterable<File>) => {
    setError("");
    for (const f of list) {
      if (isImage(f)) {
        if (!props.vision) {
          setError(`${f.name}: this model does not take images (choose a vision model)`);
          continue;
        }
        const url = await dataUrl(f);
        setImages((a) => [...a, url]);
      } else if (isAudio(f)) await addTranscript(f, f.name);
      else if (isText(f)) {
        const t = await f.text();
        setFiles((a) => [...a, { name: f.name, text: t }]);
      } else setError(`${f.name}: not an image, audio or text file`);
    }
  };

  const record = async () => {
    if (recording) return recording.stop();
    setError("");
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      const rec = new MediaRecorder(stream);
      const chunks: Blob[] = [];
      rec.ondataavailable = (e) => chunks.push(e.data);
      rec.onstop = async () => {
        stream.getTracks().forEach((t) => t.stop());
        setRecording(null);
        await addTranscript(await toWav(new Blob(chunks, { type: rec.mimeType })), "microphone.wav");
      };
      rec.start();
      setRecording(rec);
      setStatus("recording… press Stop recording when done");
    } catch (e) {
      setError(`microphone: ${e instanceof Error ? e.message : e}`);
    }
  };

  const send = () => {
    if (props.busy || props.disabled || (!text.trim() && !images.length && !files.length)) return;
    props.onSend({ text: text.trim(), images, files });
    setText("");
    setImages([]);
    setFiles([]);
    setStatus("");
  };

  const accept = ["text/*", ".md,.json,.csv,.ts,.js,.py", props.vision ? "image/*" : "", props.asrModel ? "audio/*" : ""].filter(Boolean).join(",");

  return (
    <form
      class={`composer${dragging ? " dragging" : ""}`}
      aria-label="Message composer"
      onSubmit={(e) => {
        e.preventDefault();
        send();
      }}
      onDragOver={(e) => {
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={(e) => {
        e.preventDefault();
        setDragging(false);
        if (e.dataTransfer?.files.length) void take(e.dataTransfer.files);
      }}
    >
      {(images.length > 0 || files.length > 0) && (
        <div class="attached">
          {images.map((src, i) => (
            <span class="thumb" key={i}>
              <img src={src} alt={`image ${i + 1} to send`} />
              <button type="button" class="icon" aria-label={`Remove image ${i + 1}`} onClick={() => setImages((a) => a.filter((_, j) => j !== i))}>×</button>
            </span>
          ))}
          {files.map((f, i) => (
            <span class="chip" key={f.name}>
              📄 {f.name}
              <button type="button" class="icon" aria-label={`Remove ${f.name}`} onClick={() => setFiles((a) => a.filter((_, j) => j !== i))}>×</button>
            </span>
          ))}
        </div>
      )}
      <label for="prompt" class="visually-hidden">Message</label>
      <textarea
        id="prompt"
        ref={box}
        rows={3}
        placeholder={props.disabled ? "No chat model: pull one (hearth pull) or start hearth serve with a model" : "Message (Enter to send, Shift+Enter for a new line)"}
        value={text}
        onInput={(e) => setText(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
            e.preventDefault();
            send();
          }
        }}
        onPaste={(e) => {
          const pasted = [...(e.clipboardData?.files ?? [])];
          if (pasted.length) {
            e.preventDefault();
            void take(pasted);
          }
        }}
      />
      <div class="composer-bar">
        <label class="button" title="Attach files">
          {props.vision ? "Image or file" : "File"}
          <input type="file" multiple accept={accept} class="visually-hidden" data-testid="attach" onChange={(e) => {
            const list = [...(e.currentTarget.files ?? [])];
            e.currentTarget.value = "";
            void take(list);
          }} />
        </label>
        {props.asrModel && (
          <>
            <label class="button" title={`Transcribe with ${props.asrModel}`}>
              Audio file
              <input type="file" accept="audio/*,.wav,.mp3,.flac,.ogg" class="visually-hidden" data-testid="audio" onChange={(e) => {
                const f = e.currentTarget.files?.[0];
                e.currentTarget.value = "";
                if (f) void addTranscript(f, f.name);
              }} />
            </label>
            <button type="button" onClick={record} aria-pressed={recording ? "true" : "false"}>{recording ? "Stop recording" : "Microphone"}</button>
          </>
        )}
        <span class="grow" role="status">{status}</span>
        {props.busy ? (
          <button type="button" class="primary" onClick={props.onStop}>Stop</button>
        ) : (
          <button type="submit" class="primary" disabled={props.disabled}>Send</button>
        )}
      </div>
      {error && <p class="error" role="alert">{error}</p>}
    </form>
  );
}
