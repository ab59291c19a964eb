/** reliability4j test module. */
package io.github.reliability4j.test;
