import { describe, expect, it } from 'vitest';
import { deviceTopicAllowed } from './acl.ts';

describe('deviceTopicAllowed', () => {
  it('allows a device its own namespace', () => {
    expect(deviceTopicAllowed('dev_a', 'edgefleet/devices/dev_a/heartbeat', 'publish')).toBe(true);
    expect(deviceTopicAllowed('dev_a', 'edgefleet/devices/dev_a/#', 'subscribe')).toBe(true);
    expect(deviceTopicAllowed('dev_a', 'edgefleet/devices/dev_a/+/x', 'subscribe')).toBe(true);
  });

  it("refuses other devices' topics, wildcards reaching outside, and look-alike prefixes", () => {
    expect(deviceTopicAllowed('dev_a', 'edgefleet/devices/dev_b/heartbeat', 'publish')).toBe(false);
    expect(deviceTopicAllowed('dev_a', 'edgefleet/devices/dev_ab/heartbeat', 'publish')).toBe(false);
    expect(deviceTopicAllowed('dev_a', 'edgefleet/devices/+/heartbeat', 'subscribe')).toBe(false);
    expect(deviceTopicAllowed('dev_a', 'edgefleet/devices/#', 'subscribe')).toBe(false);
    expect(deviceTopicAllowed('dev_a', '#', 'subscribe')).toBe(false);
    expect(deviceTopicAllowed('dev_a', 'edgefleet/devices/dev_a', 'publish')).toBe(false);
    expect(deviceTopicAllowed('dev_a', 'edgefleet/devices/dev_a/', 'subscribe')).toBe(false);
    expect(deviceTopicAllowed('dev_a', 'edgefleet/devices/dev_a/+', 'publish')).toBe(false);
    expect(deviceTopicAllowed('dev_a', '$share/g/edgefleet/devices/dev_a/x', 'subscribe')).toBe(false);
  });

  it('lets a device read its desired-state topic but never write it', () => {
    expect(deviceTopicAllowed('dev_a', 'edgefleet/devices/dev_a/desired', 'subscribe')).toBe(true);
    expect(deviceTopicAllowed('dev_a', 'edgefleet/devices/dev_a/desired', 'publish')).toBe(false);
  });

  it('lets a device read its diagnostics doorbell but never write it', () => {
    expect(deviceTopicAllowed('dev_a', 'edgefleet/devices/dev_a/diagnostics', 'subscribe')).toBe(true);
    expect(deviceTopicAllowed('dev_a', 'edgefleet/devices/dev_a/diagnostics', 'publish')).toBe(false);
  });

  it('refuses client ids that are themselves topic syntax', () => {
    expect(deviceTopicAllowed('+', 'edgefleet/devices/+/x', 'subscribe')).toBe(false);
    expect(deviceTopicAllowed('a/b', 'edgefleet/devices/a/b/x', 'publish')).toBe(false);
    expect(deviceTopicAllowed('', 'edgefleet/devices//x', 'publish')).toBe(false);
  });
});
