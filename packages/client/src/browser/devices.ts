/**
 * Audio devices: what `enumerateDevices` lists, as inputs and outputs, and
 * a watch on `devicechange` (a headset plugged in or out during a call).
 * Labels are empty until the page has had microphone permission once.
 */

export interface AudioDeviceInfo {
  deviceId: string;
  label: string;
}

export interface AudioDeviceList {
  inputs: AudioDeviceInfo[];
  outputs: AudioDeviceInfo[];
}

/** The audio inputs and outputs (`deviceId` to give `BrowserVoice`, `label` to show). */
export async function listAudioDevices(): Promise<AudioDeviceList> {
  const all = await navigator.mediaDevices.enumerateDevices();
  const list: AudioDeviceList = { inputs: [], outputs: [] };
  for (const d of all) {
    const info = { deviceId: d.deviceId, label: d.label };
    if (d.kind === 'audioinput') list.inputs.push(info);
    else if (d.kind === 'audiooutput') list.outputs.push(info);
  }
  return list;
}

/**
 * Calls `fn` with the new list whenever the devices change. Returns the
 * function that stops watching (removes the listener; a list still being
 * read is then not delivered).
 */
export function watchAudioDevices(fn: (list: AudioDeviceList) => void): () => void {
  let live = true;
  const onChange = (): void => {
    listAudioDevices().then(
      (list) => {
        if (live) fn(list);
      },
      () => undefined, // the page lost access meanwhile: nothing to say
    );
  };
  navigator.mediaDevices.addEventListener('devicechange', onChange);
  return () => {
    live = false;
    navigator.mediaDevices.removeEventListener('devicechange', onChange);
  };
}
