namespace NetSpec.Parser.Diagnostics;

/// <summary>
/// Every diagnostic code NetSpec reports. Codes are stable: a code is never reused for another
/// meaning. docs/diagnostics.md lists each with an example and how to fix it.
/// </summary>
public static class Codes
{
    // NS00xx: the file and its YAML
    public const string FileNotFound = "NS0001";
    public const string FileUnreadable = "NS0002";
    public const string FileTooLarge = "NS0003";
    public const string FileEmpty = "NS0004";
    public const string NotText = "NS0005";
    public const string YamlSyntax = "NS0006";
    public const string TooDeep = "NS0007";
    public const string AliasExpansion = "NS0008";
    public const string StringTooLong = "NS0009";
    public const string TagNotAllowed = "NS0010";
    public const string MultipleDocuments = "NS0011";
    public const string DuplicateKey = "NS0012";
    public const string PathOutsideSpec = "NS0013";
    public const string OutputOverwritesInput = "NS0014";

    // NS01xx: structure and values
    public const string UnknownKey = "NS0101";
    public const string MissingField = "NS0102";
    public const string WrongType = "NS0103";
    public const string UnknownOp = "NS0104";
    public const string RaggedMatrix = "NS0105";
    public const string NotANumber = "NS0106";
    public const string DuplicateName = "NS0107";
    public const string InvalidName = "NS0108";
    public const string UnsupportedVersion = "NS0109";
    public const string InvalidValue = "NS0110";
    public const string TooManyElements = "NS0111";
    public const string TensorRank = "NS0112";

    // NS02xx: references and the graph
    public const string UnknownReference = "NS0201";
    public const string UnknownHyperparameter = "NS0202";
    public const string Cycle = "NS0203";
    public const string UnusedNode = "NS0204";
    public const string MissingInput = "NS0205";
    public const string InputCount = "NS0206";
    public const string NotTrainable = "NS0207";

    // NS03xx: shapes and where backward starts
    public const string ShapeMismatch = "NS0301";
    public const string ObjectiveNotScalar = "NS0302";
    public const string NoBackward = "NS0303";
    public const string GradShape = "NS0304";

    // NS04xx: expectations
    public const string ExpectUnknown = "NS0401";
    public const string ExpectShape = "NS0402";
    public const string ExpectKind = "NS0403";
    public const string ExpectNotFinite = "NS0404";

    // NS05xx: hyperparameters and training settings
    public const string NegativeRate = "NS0501";
    public const string NegativeLambda = "NS0502";
    public const string BadSteps = "NS0503";
    public const string NotDistribution = "NS0504";
    public const string BadTolerance = "NS0505";
    public const string NotClassIndex = "NS0506";

    // NS06xx: numeric faults at run time
    public const string NonFinite = "NS0601";

    // NS07xx: answers files (netspec check-answers)
    public const string AnswersInvalid = "NS0701";
}
