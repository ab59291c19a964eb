/** reliability4j jdbc module. */
package io.github.reliability4j.jdbc;
