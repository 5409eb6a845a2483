import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { HUB_CONFIG, HubConfig } from '@hub/config';
import { AssociationLimits, DicomListener, tlsMaterial } from '@hub/dicom';
import { HubBootstrap } from '@hub/core';
import { AssociationPolicyService } from '@hub/association-policy';
import { HubHealthService } from '@hub/observability';
import { connect } from 'node:net';

/** The receiver's DICOM port: opens after start-up, and is the first thing to close on shutdown. */
@Injectable()
export class DicomScpAdapter implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly listener: DicomListener;

  constructor(
    policy: AssociationPolicyService,
    private readonly bootstrap: HubBootstrap,
    health: HubHealthService,
    @Inject(HUB_CONFIG) config: HubConfig,
  ) {
    const probeHost =
      config.hub.bindAddress === '0.0.0.0'
        ? '127.0.0.1'
        : config.hub.bindAddress === '::'
          ? '::1'
          : config.hub.bindAddress;
    health.addReadinessCheck('dicom', () => acceptsConnections(probeHost, config.hub.dicomPort));
    this.listener = new DicomListener({
      host: config.hub.bindAddress,
      port: config.hub.dicomPort,
      handler: policy,
      maxPduLength: config.hub.maxPduLength,
      // Data sets up to 256 KiB are kept as their PDUs and written in one go; larger ones stream to a
      // temp file while they arrive, which overlaps the write with the network (measured on ct300).
      memoryLimit: 256 << 10,
      timeouts: {
        requestMs: config.dicom.requestTimeoutSeconds * 1000,
        idleMs: config.dicom.idleTimeoutSeconds * 1000,
      },
      ...(config.hub.tls ? { tls: { port: config.hub.tls.port, ...tlsMaterial(config.hub.tls) } } : {}),
      limits: new AssociationLimits({
        total: config.dicom.maxAssociations,
        perCallingAe: config.dicom.maxAssociationsPerCallingAe,
      }),
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    // Nest runs bootstrap hooks of sibling modules in no promised order; senders must not meet a
    // directory without the configured nodes.
    await this.bootstrap.ready;
    await this.listener.listen();
  }

  /** The DICOM TLS port once listening (0 without TLS): for tests that let the system pick it. */
  get tlsPort(): number {
    return this.listener.tlsPort;
  }

  /**
   * The first of the shutdown hooks (Nest destroys the app's own modules before the global ones): stop accepting,
   * let running associations finish (bounded), while the queues and the database they store into are still open.
   */
  async onModuleDestroy(): Promise<void> {
    await this.listener.close();
  }
}

/** The DICOM port takes a TCP connection (closed at once: no association, nothing audited). */
function acceptsConnections(host: string, port: number): Promise<{ port: number }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve({ port });
    });
    socket.once('error', (error) => reject(new Error(`port ${port}: ${error.message}`)));
  });
}
