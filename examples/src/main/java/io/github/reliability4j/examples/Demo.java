package io.github.reliability4j.examples;

/** Entry point of the scripted demo (grows as the capabilities land). */
public final class Demo {

  private Demo() {}

  public static void main(String[] args) {
    System.out.println("reliability4j demo: nothing to show yet");
  }
}
