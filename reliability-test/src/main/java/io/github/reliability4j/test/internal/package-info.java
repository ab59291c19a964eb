/** Helpers shared by the test kits; not API, may change without notice. */
package io.github.reliability4j.test.internal;
