namespace Msun.Analysis.Core; internal static class Placeholder {}
