/** reliability4j core module. */
package io.github.reliability4j.core;
