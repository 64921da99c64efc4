/** A port a NetworkPolicy rule opens. Shared by every allow policy of the baseline. */
import { IConstruct } from 'constructs';
import { K8sBaselineError } from './errors';

export interface NetworkPort {
  /** 1-65535. */
  readonly port: number;
  /**
   * @default 'TCP'
   */
  readonly protocol?: 'TCP' | 'UDP';
}

/** Provider shape of a port list; refuses an empty list (it would mean "all ports") and out-of-range ports. */
export function renderPorts(ports: readonly NetworkPort[], scope: IConstruct): { port: string; protocol: string }[] {
  if (ports.length === 0) {
    throw new K8sBaselineError(
      `ports is empty, which NetworkPolicy reads as "every port"; list the ports to open`,
      scope,
    );
  }
  return ports.map((p) => {
    if (!Number.isInteger(p.port) || p.port < 1 || p.port > 65535) {
      throw new K8sBaselineError(`port ${p.port} is out of range; use an integer 1-65535`, scope);
    }
    return { port: String(p.port), protocol: p.protocol ?? 'TCP' };
  });
}
