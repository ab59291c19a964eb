/** reliability4j spring module. */
package io.github.reliability4j.spring;
