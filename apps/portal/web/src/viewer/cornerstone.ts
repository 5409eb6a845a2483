// Cornerstone3D set up once per page: the core, the DICOM image loader (its codecs run in web workers,
// bundled, nothing from a CDN) and the tools a reader expects on a stack: window/level, pan, zoom, scroll.
import { RenderingEngine, Enums as CoreEnums, init as initCore, utilities, type Types } from '@cornerstonejs/core';
import dicomImageLoader, { init as initLoader } from '@cornerstonejs/dicom-image-loader';
import {
  PanTool,
  StackScrollTool,
  ToolGroupManager,
  WindowLevelTool,
  ZoomTool,
  addTool,
  Enums as ToolEnums,
  init as initTools,
} from '@cornerstonejs/tools';
import { type DicomJson, first } from './dicomweb';

let ready: Promise<void> | undefined;
let authorization: Record<string, string> = {};

export function setViewerHeaders(headers: Record<string, string>): void {
  authorization = headers;
}

export function initCornerstone(): Promise<void> {
  ready ??= (async () => {
    await initCore();
    initLoader({ maxWebWorkers: 2, beforeSend: () => ({ ...authorization }) });
    initTools();
    for (const tool of [WindowLevelTool, PanTool, ZoomTool, StackScrollTool]) {
      addTool(tool);
    }
  })();
  return ready;
}

/** Registers each instance's metadata with the loader and returns its frames' image ids, in instance order. */
export function imageIdsFor(root: string, studyInstanceUid: string, metadata: DicomJson[]): string[] {
  const origin = window.location.origin;
  const sorted = [...metadata].sort((a, b) => Number(first(a, '00200013') ?? 0) - Number(first(b, '00200013') ?? 0));
  const ids: string[] = [];
  for (const instance of sorted) {
    const series = String(first(instance, '0020000E'));
    const sop = String(first(instance, '00080018'));
    const frames = Number(first(instance, '00280008') ?? 1) || 1;
    for (let frame = 1; frame <= frames; frame++) {
      const imageId = `wadors:${origin}${root}/studies/${studyInstanceUid}/series/${series}/instances/${sop}/frames/${frame}`;
      dicomImageLoader.wadors.metaDataManager.add(imageId, instance as never);
      ids.push(imageId);
    }
  }
  return ids;
}

let engineCount = 0;

/** A stack viewport on `element` with the reader's tools; destroy() when the element goes. */
export function createStackViewer(element: HTMLDivElement) {
  const engine = new RenderingEngine(`iehub-viewer-${++engineCount}`);
  const viewportId = 'stack';
  engine.enableElement({ viewportId, type: CoreEnums.ViewportType.STACK, element });
  const toolGroupId = `iehub-tools-${engineCount}`;
  const tools = ToolGroupManager.createToolGroup(toolGroupId)!;
  for (const tool of [WindowLevelTool, PanTool, ZoomTool, StackScrollTool]) {
    tools.addTool(tool.toolName);
  }
  const { MouseBindings } = ToolEnums;
  tools.setToolActive(WindowLevelTool.toolName, { bindings: [{ mouseButton: MouseBindings.Primary }] });
  tools.setToolActive(PanTool.toolName, { bindings: [{ mouseButton: MouseBindings.Auxiliary }] });
  tools.setToolActive(ZoomTool.toolName, { bindings: [{ mouseButton: MouseBindings.Secondary }] });
  tools.setToolActive(StackScrollTool.toolName, { bindings: [{ mouseButton: MouseBindings.Wheel }] });
  tools.addViewport(viewportId, engine.id);
  const viewport = () => engine.getViewport(viewportId) as Types.IStackViewport;
  return {
    async show(imageIds: string[]) {
      await viewport().setStack(imageIds, 0);
      viewport().render();
    },
    /** Window width and centre as the viewport shows them now. */
    voi(): { lower: number; upper: number } | undefined {
      return viewport().getProperties().voiRange;
    },
    destroy() {
      ToolGroupManager.destroyToolGroup(toolGroupId);
      engine.destroy();
    },
  };
}

/** Draws one image, fitted, on a small canvas: a series' thumbnail. */
export async function drawThumbnail(canvas: HTMLCanvasElement, imageId: string): Promise<void> {
  await initCornerstone();
  const { width, height } = canvas.getBoundingClientRect();
  await utilities.loadImageToCanvas({ canvas, imageId, thumbnail: true });
  // The loader sizes the canvas to the image; the list keeps it small.
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
}
